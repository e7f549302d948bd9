"""Settings of integration_platform, read once from the environment at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from envelope.keys import KeyRing
from servicekit.config import integer, link_ring, optional, required

DEFAULT_DATABASE_URL = "sqlite:///var/integration_platform.db"


@dataclass(frozen=True)
class Settings:
    """Everything the HIS interfaces need: database, Redis, the two envelope links, lock time
    and the cancel cut-off (minutes before the clinic period starts; 0 = at its start)."""

    redis_url: str
    hip_ring: KeyRing
    insfe_hip_ring: KeyRing
    database_url: str = DEFAULT_DATABASE_URL
    hospital_code: str = "H00001"
    lock_minutes: int = 15
    cancel_cutoff_minutes: int = 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; missing secrets stop the service here."""
        env = os.environ if environ is None else environ
        return cls(
            redis_url=required(env, "REDIS_URL"),
            hip_ring=link_ring(env, "HIP"),
            insfe_hip_ring=link_ring(env, "INSFE_HIP"),
            database_url=optional(env, "DATABASE_URL", DEFAULT_DATABASE_URL),
            hospital_code=optional(env, "HOSPITAL_CODE", "H00001"),
            lock_minutes=integer(env, "LOCK_MINUTES", 15),
            cancel_cutoff_minutes=integer(env, "CANCEL_CUTOFF_MINUTES", 0),
        )
