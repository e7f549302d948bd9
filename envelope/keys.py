"""Shared keys per link, named by key_id, with an overlap window for rotation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from envelope import codes


@dataclass(frozen=True)
class KeyRing:
    """The keys of one link: the active one signs; every listed one verifies.

    During a rotation both the new and the previous key are listed, so messages signed
    a moment before the switch still verify.
    """

    link: str
    active_key_id: str
    keys: Mapping[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.active_key_id not in self.keys:
            raise ValueError(f"link {self.link}: active key {self.active_key_id} has no secret")

    @property
    def active_key(self) -> bytes:
        """The secret that signs outgoing messages."""
        return self.keys[self.active_key_id]

    def key_for(self, key_id: str) -> bytes:
        """The secret named by key_id, or 1003 when this link does not know it."""
        secret = self.keys.get(key_id)
        if secret is None:
            raise codes.EnvelopeError(codes.BAD_SIGNATURE, "unknown key_id for this link")
        return secret

    @classmethod
    def from_settings(cls, link: str, key_id: str, secret: str, previous: str = "") -> KeyRing:
        """Build from an active key and an optional ``kid:secret,kid:secret`` list of others."""
        keys = {key_id: secret.encode("utf-8")}
        for pair in filter(None, (p.strip() for p in previous.split(","))):
            kid, _, old_secret = pair.partition(":")
            if kid and old_secret:
                keys.setdefault(kid, old_secret.encode("utf-8"))
        return cls(link=link, active_key_id=key_id, keys=keys)
