"""Settings of the insurance center simulator, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.config import integer, optional, required


@dataclass(frozen=True)
class Settings:
    """What the simulated center needs: the hospital it serves and its transport keys."""

    paas_id: str
    paas_token: str
    fixmedins_code: str
    sign_valid_days: int = 5
    database_url: str = "sqlite:///var/insurance_center.db"
    clock_window_seconds: int = 300
    hospital_level: str = "3"  # the hospital's level: picks the pool ratio in policy.json

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read INSURANCE_PAAS_ID, INSURANCE_PAAS_TOKEN, FIXMEDINS_CODE and the harmless rest."""
        env = os.environ if environ is None else environ
        return cls(
            paas_id=required(env, "INSURANCE_PAAS_ID"),
            paas_token=required(env, "INSURANCE_PAAS_TOKEN"),
            fixmedins_code=required(env, "FIXMEDINS_CODE"),
            sign_valid_days=integer(env, "INSURANCE_SIGN_VALID_DAYS", 5),
            database_url=optional(env, "CENTER_DATABASE_URL", "sqlite:///var/insurance_center.db"),
            hospital_level=optional(env, "CENTER_HOSPITAL_LEVEL", "3"),
        )
