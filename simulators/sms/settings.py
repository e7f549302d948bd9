"""Settings of the SMS gateway simulator, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.config import MissingSetting, integer, optional, required

DEFAULT_DATABASE_URL = "sqlite:///var/sms_sim.db"


def _names(environ: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    """A comma list of names (sign names, template codes); never empty."""
    names = tuple(part.strip() for part in optional(environ, name, default).split(","))
    if not all(names):
        raise MissingSetting(f"setting {name} must be a comma list of names")
    return names


def _limit(environ: Mapping[str, str], name: str, default: int) -> int:
    value = integer(environ, name, default)
    if value < 1:
        raise MissingSetting(f"setting {name} must be 1 or more")
    return value


@dataclass(frozen=True)
class Settings:
    """What the simulated SMS gateway knows: one access key, the sign names and templates
    approved for it, and the vendor's flow control per phone and template."""

    access_key_id: str
    access_key_secret: str
    sign_names: tuple[str, ...]
    template_codes: tuple[str, ...]
    database_url: str = DEFAULT_DATABASE_URL
    max_timestamp_skew_seconds: int = 900  # the vendor's 15 minutes
    per_minute: int = 1  # the vendor's default flow control for verification codes
    per_hour: int = 5
    per_day: int = 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Read the SMS_* and SMS_SIM_* settings."""
        sign_name = required(environ, "SMS_SIGN_NAME")
        template_code = required(environ, "SMS_TEMPLATE_CODE")
        return cls(
            access_key_id=required(environ, "SMS_ACCESS_KEY_ID"),
            access_key_secret=required(environ, "SMS_ACCESS_KEY_SECRET"),
            sign_names=_names(environ, "SMS_SIM_SIGN_NAMES", sign_name),
            template_codes=_names(environ, "SMS_SIM_TEMPLATE_CODES", template_code),
            database_url=optional(environ, "SMS_SIM_DATABASE_URL", DEFAULT_DATABASE_URL),
            per_minute=_limit(environ, "SMS_SIM_LIMIT_PER_MINUTE", 1),
            per_hour=_limit(environ, "SMS_SIM_LIMIT_PER_HOUR", 5),
            per_day=_limit(environ, "SMS_SIM_LIMIT_PER_DAY", 10),
        )
