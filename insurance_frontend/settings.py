"""Settings of insurance_frontend, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from envelope.keys import KeyRing
from servicekit.config import MissingSetting, integer, link_ring, optional, required, seconds

# How long a killed worker keeps its order locked. A live worker renews the lock while it
# works (locks.py), so this need not cover the center calls of a settlement.
ORDER_LOCK_SECONDS = 30.0


def _hh_mm(environ: Mapping[str, str], name: str, default: str) -> str:
    value = optional(environ, name, default)
    hour, _, minute = value.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise MissingSetting(f"setting {name} must be a time HH:MM")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything insurance_frontend needs to talk to the gateway, HIS and the center."""

    redis_url: str
    hospital_code: str
    center_url: str
    paas_id: str
    paas_token: str
    fixmedins_code: str
    fixmedins_name: str
    mdtrtarea_admvs: str
    hip_envelope_url: str
    insfe_ring: KeyRing
    insfe_hip_ring: KeyRing
    database_url: str = "sqlite:///var/insurance_frontend.db"
    sign_valid_days: int = 5
    center_connect_timeout: float = 3.0
    center_read_timeout: float = 30.0
    signin_at_start: bool = True
    opter_no: str = "INSFE"
    opter_name: str = "insurance_frontend"
    signin_at: str = "07:00"  # the daily sign cycle, Asia/Shanghai
    signin_retries: int = 5
    signin_backoff: float = 60.0  # seconds before the first retry, doubling
    order_lock_seconds: float = ORDER_LOCK_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the environment; secrets and peer URLs are required."""
        env = os.environ if environ is None else environ
        return cls(
            redis_url=required(env, "REDIS_URL"),
            hospital_code=required(env, "HOSPITAL_CODE"),
            center_url=required(env, "INSURANCE_CENTER_URL"),
            paas_id=required(env, "INSURANCE_PAAS_ID"),
            paas_token=required(env, "INSURANCE_PAAS_TOKEN"),
            fixmedins_code=required(env, "FIXMEDINS_CODE"),
            fixmedins_name=required(env, "FIXMEDINS_NAME"),
            mdtrtarea_admvs=required(env, "MDTRTAREA_ADMVS"),
            hip_envelope_url=required(env, "HIP_ENVELOPE_URL"),
            insfe_ring=link_ring(env, "INSFE"),
            insfe_hip_ring=link_ring(env, "INSFE_HIP"),
            database_url=optional(env, "DATABASE_URL", "sqlite:///var/insurance_frontend.db"),
            sign_valid_days=integer(env, "INSURANCE_SIGN_VALID_DAYS", 5),
            center_connect_timeout=seconds(env, "INSURANCE_CONNECT_TIMEOUT", 3, allow_zero=False),
            center_read_timeout=seconds(env, "INSURANCE_READ_TIMEOUT", 30, allow_zero=False),
            signin_at_start=optional(env, "INSURANCE_SIGNIN_AT_START", "1") not in ("0", "false"),
            opter_no=optional(env, "INSURANCE_OPTER_NO", "INSFE"),
            opter_name=optional(env, "INSURANCE_OPTER_NAME", "insurance_frontend"),
            signin_at=_hh_mm(env, "INSURANCE_SIGNIN_AT", "07:00"),
            signin_retries=integer(env, "INSURANCE_SIGNIN_RETRIES", 5),
            signin_backoff=seconds(env, "INSURANCE_SIGNIN_BACKOFF", 60),
            order_lock_seconds=seconds(
                env, "INSURANCE_ORDER_LOCK_SECONDS", ORDER_LOCK_SECONDS, allow_zero=False
            ),
        )
