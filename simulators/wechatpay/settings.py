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
# The WeChat users a person or a test can be on the simulated authorize page.
TEST_USERS: tuple[str, ...] = ("微信用户A", "微信用户B", "微信用户C")
OAUTH_CODE_SECONDS = 300.0  # WeChat's authorize codes live five minutes


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
    app_secret: str = ""  # the official account's AppSecret (appid's), checked on code exchange
    # Other official accounts WeChat knows (appid, secret): their openids differ from ours.
    other_apps: tuple[tuple[str, str], ...] = ()
    test_users: tuple[str, ...] = TEST_USERS
    oauth_code_seconds: float = OAUTH_CODE_SECONDS

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
            app_secret=required(environ, "WECHAT_APP_SECRET"),
            other_apps=_apps(optional(environ, "WECHATPAY_SIM_OTHER_APPS", "")),
            test_users=_users(optional(environ, "WECHATPAY_SIM_TEST_USERS", "")),
            oauth_code_seconds=seconds(
                environ, "WECHATPAY_SIM_OAUTH_CODE_SECONDS", OAUTH_CODE_SECONDS
            ),
        )


def _apps(text: str) -> tuple[tuple[str, str], ...]:
    """``appid:secret,appid:secret``; a malformed entry stops the start."""
    apps = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        appid, _, secret = entry.partition(":")
        if not appid.strip() or not secret.strip():
            raise MissingSetting("setting WECHATPAY_SIM_OTHER_APPS must be appid:secret,...")
        apps.append((appid.strip(), secret.strip()))
    return tuple(apps)


def _users(text: str) -> tuple[str, ...]:
    """Comma-separated test user names, or the three seeded ones."""
    users = tuple(dict.fromkeys(filter(None, (part.strip() for part in text.split(",")))))
    return users or TEST_USERS
