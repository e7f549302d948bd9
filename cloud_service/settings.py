"""cloud_service settings, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envelope.keys import KeyRing
from servicekit.config import MissingSetting, integer, link_ring, optional, required, seconds

ROOT = Path(__file__).resolve().parent.parent


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


@dataclass(frozen=True)
class AlipaySettings:
    """The application's Alipay open-API settings."""

    api_url: str
    app_id: str
    app_private_key: str
    alipay_public_key: str
    seller_id: str = ""  # when set, notifications for another seller are refused


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
    console_users: str = ""  # CONSOLE_USERS: name:ROLE:hash,... (empty: nobody signs in)
    gateway_audit_token: str = ""  # reads the gateway's audit trail for order timelines
    payment_minutes: int = 15
    gateway_timeout_seconds: int = 15
    worker_interval_seconds: float = 1.0
    worker_threads: int = 8
    slot_gate_seconds: float = 5.0
    catalog_refresh_at: str = "06:00"  # Asia/Shanghai, daily, in the saga worker
    reconcile_at: str = "02:00"  # Asia/Shanghai, daily reconciliation of yesterday
    ops_token: str = ""  # bearer token of /api/v1/ops/... (empty: those are off)

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
        )
        alipay = AlipaySettings(
            api_url=required(env, "ALIPAY_API_URL"),
            app_id=required(env, "ALIPAY_APP_ID"),
            app_private_key=_read_path(env, "ALIPAY_APP_PRIVATE_KEY_PATH"),
            alipay_public_key=_read_path(env, "ALIPAY_PUBLIC_KEY_PATH"),
            seller_id=optional(env, "ALIPAY_SELLER_ID", ""),
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
            console_users=_console_users(env),
            gateway_audit_token=optional(env, "GATEWAY_AUDIT_TOKEN", ""),
            payment_minutes=integer(env, "PAYMENT_MINUTES", 15),
            gateway_timeout_seconds=integer(env, "GATEWAY_TIMEOUT_SECONDS", 15),
            worker_interval_seconds=integer(env, "WORKER_INTERVAL_MS", 1000) / 1000,
            worker_threads=max(1, integer(env, "WORKER_THREADS", 8)),
            slot_gate_seconds=seconds(env, "SLOT_GATE_SECONDS", 5.0),
            catalog_refresh_at=_clock_time(env, "CATALOG_REFRESH_AT", "06:00"),
            reconcile_at=_clock_time(env, "RECONCILE_AT", "02:00"),
            ops_token=optional(env, "OPS_TOKEN", ""),
        )


def _clock_time(environ: Mapping[str, str], name: str, default: str) -> str:
    """An HH:MM setting, refused at start-up when it is not a time of day."""
    value = optional(environ, name, default)
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        raise ValueError(f"{name} must be a time of day HH:MM, not {value!r}")
    return f"{int(hours):02d}:{int(minutes):02d}"
