"""Settings of the WeChat Pay simulator, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.config import MissingSetting, optional, required, seconds, seconds_list

# The real notification retry schedule, in seconds after the previous attempt.
REAL_NOTIFY_SCHEDULE: tuple[float, ...] = (
    15,
    15,
    30,
    180,
    600,
    1200,
    1800,
    1800,
    1800,
    3600,
    10800,
    10800,
    10800,
    21600,
    21600,
)
SCHEDULE_SETTING = "WECHATPAY_SIM_NOTIFY_SCHEDULE"  # seconds between retries, e.g. "0.2,0.2,0.5"


@dataclass(frozen=True)
class Settings:
    """What the simulated WeChat Pay platform knows about its one merchant."""

    mchid: str
    appid: str
    apiv3_key: str
    merchant_serial_no: str
    merchant_public_key_path: str
    platform_private_key_path: str
    public_key_id: str
    database_url: str = "sqlite:///var/wechatpay_sim.db"
    notify_schedule: tuple[float, ...] = REAL_NOTIFY_SCHEDULE
    start_notifier: bool = True
    refund_seconds: float = 0.0  # how long a refund stays PROCESSING before SUCCESS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read the WECHAT_* and WECHATPAY_SIM_* settings."""
        apiv3_key = required(environ, "WECHAT_APIV3_KEY")
        if len(apiv3_key.encode()) != 32:
            raise MissingSetting("setting WECHAT_APIV3_KEY must be 32 bytes")
        return cls(
            mchid=required(environ, "WECHAT_MCHID"),
            appid=required(environ, "WECHAT_APPID"),
            apiv3_key=apiv3_key,
            merchant_serial_no=required(environ, "WECHAT_MERCHANT_SERIAL_NO"),
            merchant_public_key_path=required(environ, "WECHAT_MERCHANT_PUBLIC_KEY_PATH"),
            platform_private_key_path=required(environ, "WECHAT_PLATFORM_PRIVATE_KEY_PATH"),
            public_key_id=required(environ, "WECHAT_PUBLIC_KEY_ID"),
            database_url=optional(
                environ, "WECHATPAY_SIM_DATABASE_URL", "sqlite:///var/wechatpay_sim.db"
            ),
            notify_schedule=seconds_list(environ, SCHEDULE_SETTING, REAL_NOTIFY_SCHEDULE),
            refund_seconds=seconds(environ, "WECHATPAY_SIM_REFUND_SECONDS", 0.0),
        )
