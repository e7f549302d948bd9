"""Settings of the Alipay simulator, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.config import MissingSetting, integer, optional, required, seconds_list

# The real asynchronous notification schedule: 4m, 10m, 10m, 1h, 2h, 6h, 15h after the
# previous attempt (eight attempts in about 25 hours).
REAL_NOTIFY_SCHEDULE: tuple[float, ...] = (240, 600, 600, 3600, 7200, 21600, 54000)
DEFAULT_DATABASE_URL = "sqlite:///var/alipay_sim.db"
SCHEDULE_SETTING = "ALIPAY_SIM_NOTIFY_SCHEDULE"  # seconds between retries, e.g. "0.2,0.2,0.5"
# The test Alipay users the authorize page offers (ALIPAY_SIM_USERS, comma separated).
DEFAULT_USERS: tuple[str, ...] = ("支付宝用户A", "支付宝用户B", "支付宝用户C")
AUTH_CODE_SECONDS = 300


def _other_apps(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """ALIPAY_SIM_OTHER_APPS: ``app_id=public_key_path,...``, further apps the platform knows."""
    apps = []
    for entry in optional(environ, "ALIPAY_SIM_OTHER_APPS", "").split(","):
        if not entry.strip():
            continue
        app_id, _, path = entry.strip().partition("=")
        if not app_id or not path:
            raise MissingSetting("ALIPAY_SIM_OTHER_APPS entries are app_id=public_key_path")
        apps.append((app_id, path))
    return tuple(apps)


def _code_seconds(environ: Mapping[str, str]) -> int:
    value = integer(environ, "ALIPAY_SIM_AUTH_CODE_SECONDS", AUTH_CODE_SECONDS)
    if value < 1:  # 0 would refuse every code it issues
        raise MissingSetting("ALIPAY_SIM_AUTH_CODE_SECONDS must be 1 or more")
    return value


def _users(environ: Mapping[str, str]) -> tuple[str, ...]:
    names = [n.strip() for n in optional(environ, "ALIPAY_SIM_USERS", "").split(",")]
    return tuple(n for n in names if n) or DEFAULT_USERS


@dataclass(frozen=True)
class Settings:
    """What the simulated Alipay open platform knows: its main app and any further ones."""

    app_id: str
    app_public_key_path: str
    platform_private_key_path: str
    seller_id: str = "2088000000000001"
    database_url: str = DEFAULT_DATABASE_URL
    notify_schedule: tuple[float, ...] = REAL_NOTIFY_SCHEDULE
    max_timestamp_skew_seconds: int = 900
    start_notifier: bool = True
    other_apps: tuple[tuple[str, str], ...] = ()  # (app_id, app public key path)
    users: tuple[str, ...] = DEFAULT_USERS
    auth_code_seconds: int = AUTH_CODE_SECONDS  # how long an auth_code can be exchanged

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
            other_apps=_other_apps(environ),
            users=_users(environ),
            auth_code_seconds=_code_seconds(environ),
        )
