"""Settings of the Alipay simulator, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.config import optional, required, seconds_list

# The real asynchronous notification schedule: 4m, 10m, 10m, 1h, 2h, 6h, 15h after the
# previous attempt (eight attempts in about 25 hours).
REAL_NOTIFY_SCHEDULE: tuple[float, ...] = (240, 600, 600, 3600, 7200, 21600, 54000)
DEFAULT_DATABASE_URL = "sqlite:///var/alipay_sim.db"
SCHEDULE_SETTING = "ALIPAY_SIM_NOTIFY_SCHEDULE"  # seconds between retries, e.g. "0.2,0.2,0.5"


@dataclass(frozen=True)
class Settings:
    """What the simulated Alipay open platform knows about its one app."""

    app_id: str
    app_public_key_path: str
    platform_private_key_path: str
    seller_id: str = "2088000000000001"
    database_url: str = DEFAULT_DATABASE_URL
    notify_schedule: tuple[float, ...] = REAL_NOTIFY_SCHEDULE
    max_timestamp_skew_seconds: int = 900
    start_notifier: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read the ALIPAY_* and ALIPAY_SIM_* settings."""
        return cls(
            app_id=required(environ, "ALIPAY_APP_ID"),
            app_public_key_path=required(environ, "ALIPAY_APP_PUBLIC_KEY_PATH"),
            platform_private_key_path=required(environ, "ALIPAY_PLATFORM_PRIVATE_KEY_PATH"),
            seller_id=optional(environ, "ALIPAY_SIM_SELLER_ID", "2088000000000001"),
            database_url=optional(environ, "ALIPAY_SIM_DATABASE_URL", DEFAULT_DATABASE_URL),
            notify_schedule=seconds_list(environ, SCHEDULE_SETTING, REAL_NOTIFY_SCHEDULE),
        )
