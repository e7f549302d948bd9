"""The gateway's settings, read once from the environment into a frozen object."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envelope.catalogue import CLOUD, HIP, INSFE
from envelope.keys import KeyRing
from servicekit.config import MissingSetting, integer, link_ring, optional, required, seconds

DEFAULT_DATABASE_URL = "sqlite:///var/hospital_gateway.db"
SETTINGS_FILE = "GATEWAY_SETTINGS_FILE"
DEFAULT_MAX_ENVELOPE_BYTES = 1024 * 1024
# Generous by default: the cloud's own rush (hundreds of lock attempts at once) must pass.
DEFAULT_RATE_PER_SENDER = 2000  # messages per second from one sender
DEFAULT_RATE_PER_PATIENT = 1000  # messages per minute about one patient


def read_settings_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (blank lines and # comments skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _non_negative(
    environ: Mapping[str, str], name: str, default: int, *, allow_zero: bool = True
) -> int:
    value = integer(environ, name, default)
    if value < 0 or (value == 0 and not allow_zero):
        raise MissingSetting(
            f"setting {name} must be {'0 (off) or ' if allow_zero else ''}positive"
        )
    return value


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
    max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES
    rate_per_sender: int = DEFAULT_RATE_PER_SENDER  # per second; 0 turns the limit off
    rate_per_patient: int = DEFAULT_RATE_PER_PATIENT  # per minute; 0 turns the limit off
    # Keys the HMAC that names a patient in Redis; empty: derived from the CLOUD link key.
    rate_patient_key: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; a missing peer URL or link key stops the start-up.

        When GATEWAY_SETTINGS_FILE names a file, its KEY=VALUE lines override the
        environment. Every worker reads it when it starts, so a key rotation is an edit of
        that file and a ``kill -HUP`` of gunicorn's master (hospital_gateway/README.md).
        """
        env = dict(os.environ if environ is None else environ)
        if env.get(SETTINGS_FILE, "").strip():
            env.update(read_settings_file(Path(env[SETTINGS_FILE].strip())))
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
            relay_connect_timeout=seconds(
                env, "GATEWAY_RELAY_CONNECT_TIMEOUT", 2.0, allow_zero=False
            ),
            relay_read_timeout=seconds(env, "GATEWAY_RELAY_READ_TIMEOUT", 10.0, allow_zero=False),
            audit_token=optional(env, "GATEWAY_AUDIT_TOKEN", ""),
            max_envelope_bytes=_non_negative(
                env, "GATEWAY_MAX_ENVELOPE_BYTES", DEFAULT_MAX_ENVELOPE_BYTES, allow_zero=False
            ),
            rate_per_sender=_non_negative(env, "GATEWAY_RATE_PER_SENDER", DEFAULT_RATE_PER_SENDER),
            rate_per_patient=_non_negative(
                env, "GATEWAY_RATE_PER_PATIENT", DEFAULT_RATE_PER_PATIENT
            ),
            rate_patient_key=optional(env, "GATEWAY_RATE_PATIENT_KEY", ""),
        )

    def ring(self, link: str) -> KeyRing:
        """The key ring of one of the gateway's three links."""
        return {CLOUD: self.cloud_ring, HIP: self.hip_ring, INSFE: self.insfe_ring}[link]

    def patient_key(self) -> bytes:
        """The HMAC key that turns a patient's ID number into a Redis name."""
        if self.rate_patient_key:
            return self.rate_patient_key.encode("utf-8")
        label = b"hospital_gateway rate limit: patient names"
        return hmac.new(self.cloud_ring.active_key, label, hashlib.sha256).digest()

    def envelope_url(self, party: str) -> str:
        """Where envelopes for a party behind (or in front of) the gateway are POSTed."""
        return {
            CLOUD: self.cloud_envelope_url,
            HIP: self.hip_envelope_url,
            INSFE: self.insfe_envelope_url,
        }[party]
