"""cloud_service settings, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from envelope.keys import KeyRing
from servicekit.config import MissingSetting, integer, link_ring, optional, required, seconds

ROOT = Path(__file__).resolve().parent.parent
# The largest honest request (a bill payment naming its bills) is a few KiB.
MAX_REQUEST_BYTES = 64 * 1024
ALIPAY_OAUTH_URL = "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm"


def _read_path(environ: Mapping[str, str], name: str) -> str:
    """The text of a key file named by a setting (relative paths from the repository root)."""
    path = Path(required(environ, name))
    if not path.is_absolute():
        path = ROOT / path
    return path.read_text(encoding="utf-8")


def _console_users(environ: Mapping[str, str]) -> str:
    """CONSOLE_USERS, refused at start-up when an entry is malformed."""
    from cloud_service.console.staff import parse_users

    value = optional(environ, "CONSOLE_USERS", "")
    try:
        parse_users(value)
    except ValueError as exc:
        raise MissingSetting(str(exc)) from exc
    return value


def _max_request_bytes(environ: Mapping[str, str]) -> int:
    """CLOUD_MAX_REQUEST_BYTES, refused at start-up unless it is a positive number."""
    value = integer(environ, "CLOUD_MAX_REQUEST_BYTES", MAX_REQUEST_BYTES)
    if value < 1:
        raise MissingSetting("CLOUD_MAX_REQUEST_BYTES must be at least 1")
    return value


@dataclass(frozen=True)
class WeChatSettings:
    """The merchant's WeChat Pay API v3 settings."""

    api_url: str
    mchid: str
    appid: str
    apiv3_key: str
    merchant_serial_no: str
    merchant_private_key: str
    public_key_id: str
    public_key: str
    app_secret: str = ""  # WECHAT_APP_SECRET, the official account's AppSecret (OAuth)
    oauth_url: str = "https://open.weixin.qq.com"  # WECHAT_OAUTH_URL: the authorize page
    oauth_api_url: str = "https://api.weixin.qq.com"  # WECHAT_OAUTH_API_URL: code exchange
    # WECHAT_JSBRIDGE_SCRIPT_URL: empty in production (WeChat's webview has WeixinJSBridge);
    # the simulator's /jsbridge.js in development
    jsbridge_script_url: str = ""


@dataclass(frozen=True)
class AlipaySettings:
    """The application's Alipay open-API settings."""

    api_url: str
    app_id: str
    app_private_key: str
    alipay_public_key: str
    seller_id: str = ""  # when set, notifications for another seller are refused
    oauth_url: str = ALIPAY_OAUTH_URL  # the service-window authorize page (auth_code)
    jsbridge_script_url: str = ""  # empty in production: the Alipay client has the bridge


@dataclass(frozen=True)
class SmsSettings:
    """The SMS gateway (Alibaba Cloud SMS SendSms): where it is, the access key, and the
    approved sign name and template of the sign-in code."""

    api_url: str  # the base address, as https://dysmsapi.aliyuncs.com is
    access_key_id: str
    access_key_secret: str
    sign_name: str
    template_code: str


@dataclass(frozen=True)
class ConsoleSettings:
    """How staff sessions of the operations console live and how sign-in is guarded."""

    cookie_secure: bool = True  # CONSOLE_COOKIE_SECURE: off only for plain-http development
    session_idle_seconds: int = 1800  # a session unused this long is dead
    session_max_seconds: int = 43200  # and any session this long after sign-in
    lockout_failures: int = 5  # failed sign-ins of one name that lock it
    lockout_seconds: int = 900  # how long the lock holds
    signin_per_address: int = 20  # sign-in tries per client address per minute


@dataclass(frozen=True)
class AuthSettings:
    """How patients' sign-ins live and how SMS codes are rationed (DESIGN §11)."""

    access_seconds: int = 7200  # AUTH_ACCESS_SECONDS, at most 7200
    refresh_days: int = 30  # AUTH_REFRESH_DAYS, at most 30: a sign-in's whole life
    code_resend_seconds: int = 60  # SMS_CODE_RESEND_SECONDS: one code a phone this often
    codes_per_phone_daily: int = 10  # SMS_CODES_PER_PHONE_DAILY
    codes_per_address_hourly: int = 30  # SMS_CODES_PER_ADDRESS_HOURLY


@dataclass(frozen=True)
class Settings:
    """Everything cloud_service needs to start."""

    hospital_code: str
    database_url: str
    redis_url: str
    gateway_url: str
    public_url: str
    secret_key: str
    cloud_ring: KeyRing
    wechat: WeChatSettings
    alipay: AlipaySettings
    sms: SmsSettings
    console_users: str = ""  # CONSOLE_USERS: name:ROLE:hash,... (empty: nobody signs in)
    gateway_audit_token: str = ""  # reads the gateway's audit trail for order timelines
    payment_minutes: int = 15
    gateway_timeout_seconds: int = 15
    worker_interval_seconds: float = 1.0
    worker_threads: int = 8
    slot_gate_seconds: float = 5.0
    max_unpaid_locks: int = 3  # unpaid same-day locks one user may hold at once (2020 beyond)
    catalog_refresh_at: str = "06:00"  # Asia/Shanghai, daily, in the saga worker
    reconcile_at: str = "02:00"  # Asia/Shanghai, daily reconciliation of yesterday
    ops_token: str = ""  # bearer token of /api/v1/ops/... (empty: those are off)
    metrics_token: str = ""  # bearer token of GET /metrics (empty: /metrics is not served)
    max_request_bytes: int = MAX_REQUEST_BYTES  # a larger body is refused (1001, HTTP 413)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; a missing secret or peer URL stops the start."""
        env = os.environ if environ is None else environ
        wechat = WeChatSettings(
            api_url=required(env, "WECHAT_API_URL").rstrip("/"),
            mchid=required(env, "WECHAT_MCHID"),
            appid=required(env, "WECHAT_APPID"),
            apiv3_key=required(env, "WECHAT_APIV3_KEY"),
            merchant_serial_no=required(env, "WECHAT_MERCHANT_SERIAL_NO"),
            merchant_private_key=_read_path(env, "WECHAT_MERCHANT_PRIVATE_KEY_PATH"),
            public_key_id=required(env, "WECHAT_PUBLIC_KEY_ID"),
            public_key=_read_path(env, "WECHAT_PUBLIC_KEY_PATH"),
            app_secret=required(env, "WECHAT_APP_SECRET"),
            oauth_url=optional(env, "WECHAT_OAUTH_URL", "https://open.weixin.qq.com"),
            oauth_api_url=optional(env, "WECHAT_OAUTH_API_URL", "https://api.weixin.qq.com"),
            jsbridge_script_url=optional(env, "WECHAT_JSBRIDGE_SCRIPT_URL", ""),
        )
        alipay = AlipaySettings(
            api_url=required(env, "ALIPAY_API_URL"),
            app_id=required(env, "ALIPAY_APP_ID"),
            app_private_key=_read_path(env, "ALIPAY_APP_PRIVATE_KEY_PATH"),
            alipay_public_key=_read_path(env, "ALIPAY_PUBLIC_KEY_PATH"),
            seller_id=optional(env, "ALIPAY_SELLER_ID", ""),
            oauth_url=optional(env, "ALIPAY_OAUTH_URL", ALIPAY_OAUTH_URL),
            jsbridge_script_url=optional(env, "ALIPAY_JSBRIDGE_SCRIPT_URL", ""),
        )
        return cls(
            hospital_code=optional(env, "HOSPITAL_CODE", "H00001"),
            database_url=optional(env, "DATABASE_URL", f"sqlite:///{ROOT}/var/cloud_service.db"),
            redis_url=required(env, "REDIS_URL"),
            gateway_url=required(env, "GATEWAY_URL"),
            public_url=required(env, "CLOUD_PUBLIC_URL").rstrip("/"),
            secret_key=required(env, "CLOUD_SECRET_KEY"),
            cloud_ring=link_ring(env, "CLOUD"),
            wechat=wechat,
            alipay=alipay,
            sms=_sms(env),
            console_users=_console_users(env),
            gateway_audit_token=optional(env, "GATEWAY_AUDIT_TOKEN", ""),
            payment_minutes=integer(env, "PAYMENT_MINUTES", 15),
            gateway_timeout_seconds=integer(env, "GATEWAY_TIMEOUT_SECONDS", 15),
            worker_interval_seconds=integer(env, "WORKER_INTERVAL_MS", 1000) / 1000,
            worker_threads=max(1, integer(env, "WORKER_THREADS", 8)),
            slot_gate_seconds=seconds(env, "SLOT_GATE_SECONDS", 5.0),
            max_unpaid_locks=_positive(env, "MAX_UNPAID_LOCKS_PER_USER", 3),
            catalog_refresh_at=_clock_time(env, "CATALOG_REFRESH_AT", "06:00"),
            reconcile_at=_clock_time(env, "RECONCILE_AT", "02:00"),
            ops_token=optional(env, "OPS_TOKEN", ""),
            metrics_token=optional(env, "METRICS_TOKEN", ""),
            max_request_bytes=_max_request_bytes(env),
            console=_console(env),
            auth=_auth(env),
        )


def _sms(env: Mapping[str, str]) -> SmsSettings:
    """The SMS gateway's settings; the key and the approved names are required."""
    api_url = required(env, "SMS_API_URL").rstrip("/")
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
        # the vendor's client takes a host and a protocol; a path would be dropped silently
        raise MissingSetting("setting SMS_API_URL must be http(s)://host[:port], no path")
    return SmsSettings(
        api_url=api_url,
        access_key_id=required(env, "SMS_ACCESS_KEY_ID"),
        access_key_secret=required(env, "SMS_ACCESS_KEY_SECRET"),
        sign_name=required(env, "SMS_SIGN_NAME"),
        template_code=required(env, "SMS_TEMPLATE_CODE"),
    )


def _console(env: Mapping[str, str]) -> ConsoleSettings:
    """The console's session and sign-in settings, refused at start-up when unusable."""
    console = ConsoleSettings(
        cookie_secure=_flag(env, "CONSOLE_COOKIE_SECURE", True),
        session_idle_seconds=_positive(env, "CONSOLE_SESSION_IDLE_SECONDS", 1800),
        session_max_seconds=_positive(env, "CONSOLE_SESSION_MAX_SECONDS", 43200),
        lockout_failures=_positive(env, "CONSOLE_LOCKOUT_FAILURES", 5),
        lockout_seconds=_positive(env, "CONSOLE_LOCKOUT_SECONDS", 900),
        signin_per_address=_positive(env, "CONSOLE_SIGNIN_PER_ADDRESS", 20),
    )
    if console.session_idle_seconds > console.session_max_seconds:
        raise MissingSetting("CONSOLE_SESSION_IDLE_SECONDS must not exceed the maximum")
    return console


def _auth(env: Mapping[str, str]) -> AuthSettings:
    """The patients' sign-in settings; lifetimes longer than section 11 allows stop the start."""
    auth = AuthSettings(
        access_seconds=_positive(env, "AUTH_ACCESS_SECONDS", 7200),
        refresh_days=_positive(env, "AUTH_REFRESH_DAYS", 30),
        code_resend_seconds=_positive(env, "SMS_CODE_RESEND_SECONDS", 60),
        codes_per_phone_daily=_positive(env, "SMS_CODES_PER_PHONE_DAILY", 10),
        codes_per_address_hourly=_positive(env, "SMS_CODES_PER_ADDRESS_HOURLY", 30),
    )
    if auth.access_seconds > 7200 or auth.refresh_days > 30:
        raise MissingSetting("AUTH_ACCESS_SECONDS is at most 7200 and AUTH_REFRESH_DAYS 30")
    return auth


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    """An integer setting of 1 or more (0 would turn a limit or a lifetime into nonsense)."""
    value = integer(environ, name, default)
    if value < 1:
        raise MissingSetting(f"setting {name} must be 1 or more")
    return value


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """A true/false setting; anything but the usual spellings stops the start."""
    value = optional(environ, name, "true" if default else "false").lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise MissingSetting(f"setting {name} must be true or false, not {value!r}")


def _clock_time(environ: Mapping[str, str], name: str, default: str) -> str:
    """An HH:MM setting, refused at start-up when it is not a time of day."""
    value = optional(environ, name, default)
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"{name} must be a time of day HH:MM, not {value!r}")
    return f"{int(hours):02d}:{int(minutes):02d}"
