"""The gateway's settings, read once from the environment into a frozen object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from envelope.catalogue import CLOUD, HIP, INSFE
from envelope.keys import KeyRing
from servicekit.config import MissingSetting, link_ring, optional, required

DEFAULT_DATABASE_URL = "sqlite:///var/hospital_gateway.db"


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    """A positive duration in seconds, e.g. ``2`` or ``0.5``."""
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError as exc:
        raise MissingSetting(f"setting {name} must be a number of seconds") from exc
    if seconds <= 0:
        raise MissingSetting(f"setting {name} must be positive")
    return seconds


@dataclass(frozen=True)
class Settings:
    """Everything the gateway needs: peers, link keys, audit database, relay timeouts."""

    redis_url: str
    hospital_code: str
    hip_envelope_url: str
    insfe_envelope_url: str
    cloud_envelope_url: str
    cloud_ring: KeyRing
    hip_ring: KeyRing
    insfe_ring: KeyRing
    database_url: str = DEFAULT_DATABASE_URL
    # Below the cloud's 15 s read timeout, so the gateway's 3003 reaches the cloud first.
    relay_connect_timeout: float = 2.0
    relay_read_timeout: float = 10.0
    # GET /audit and GET /stats answer only with this bearer token; empty turns them off.
    audit_token: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; a missing peer URL or link key stops the start-up."""
        env = os.environ if environ is None else environ
        return cls(
            redis_url=required(env, "REDIS_URL"),
            hospital_code=required(env, "HOSPITAL_CODE"),
            hip_envelope_url=required(env, "HIP_ENVELOPE_URL"),
            insfe_envelope_url=required(env, "INSFE_ENVELOPE_URL"),
            cloud_envelope_url=required(env, "CLOUD_ENVELOPE_URL"),
            cloud_ring=link_ring(env, CLOUD),
            hip_ring=link_ring(env, HIP),
            insfe_ring=link_ring(env, INSFE),
            database_url=optional(env, "DATABASE_URL", DEFAULT_DATABASE_URL),
            relay_connect_timeout=_seconds(env, "GATEWAY_RELAY_CONNECT_TIMEOUT", 2.0),
            relay_read_timeout=_seconds(env, "GATEWAY_RELAY_READ_TIMEOUT", 10.0),
            audit_token=optional(env, "GATEWAY_AUDIT_TOKEN", ""),
        )

    def ring(self, link: str) -> KeyRing:
        """The key ring of one of the gateway's three links."""
        return {CLOUD: self.cloud_ring, HIP: self.hip_ring, INSFE: self.insfe_ring}[link]

    def envelope_url(self, party: str) -> str:
        """Where envelopes for a party behind (or in front of) the gateway are POSTed."""
        return {
            CLOUD: self.cloud_envelope_url,
            HIP: self.hip_envelope_url,
            INSFE: self.insfe_envelope_url,
        }[party]
