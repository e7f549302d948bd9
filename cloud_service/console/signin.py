"""Guarding staff sign-in: a limit per client address, a lock per name after repeated
failures, and the same work and answer whether a name exists or not.

The counters live in the `limits` package's storage (Redis in the cloud, memory in unit
tests). Names are locked whether or not anyone has them, so the lock tells nothing either;
a locked name or a busy address is refused before any password is hashed, so a burst of
guesses cannot spend the CPU on hashing."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from cloud_service.console.staff import StaffUser, authenticate

MAX_NAME_CHARS = 64


class Outcome(enum.Enum):
    """What became of one sign-in attempt."""

    SIGNED_IN = "signed_in"
    WRONG = "wrong"  # unknown name or wrong password: one answer for both
    LOCKED = "locked"  # too many failures for this name
    BUSY = "busy"  # too many attempts from this client address


@dataclass(frozen=True)
class SignInPolicy:
    """How many failures lock a name and for how long; attempts per address per minute."""

    failures: int = 5
    lockout_seconds: int = 900
    per_address_per_minute: int = 20


@dataclass(frozen=True)
class Attempt:
    """The outcome of an attempt, with the staff member when signed in."""

    outcome: Outcome
    staff: StaffUser | None = None
    just_locked: bool = False  # this failure is the one that locked the name


def name_key(name: str) -> str:
    """The name as it appears in counters and the audit: a digest, since a name typed at
    sign-in may be anything (a password typed in the wrong field, say)."""
    return hashlib.sha256(name.encode("utf-8", "replace")).hexdigest()[:32]


class SignInGuard:
    """Decide one sign-in attempt: address limit, name lock, then one password check."""

    def __init__(
        self, users: Mapping[str, StaffUser], storage: Storage, policy: SignInPolicy
    ) -> None:
        self.users = users
        self.storage = storage
        self.policy = policy
        self._limiter = MovingWindowRateLimiter(storage)
        self._failures = RateLimitItemPerSecond(policy.failures, policy.lockout_seconds)
        self._per_address = RateLimitItemPerMinute(policy.per_address_per_minute)

    def attempt(self, name: str, password: str, address: str) -> Attempt:
        """Try to sign ``name`` in from ``address``."""
        if not self._limiter.hit(self._per_address, "console-signin-address", address or "?"):
            return Attempt(Outcome.BUSY)
        key = name_key(name)
        if self.locked(name):
            return Attempt(Outcome.LOCKED)
        # an over-long name is nobody's, but still costs one hash like any unknown name
        staff = authenticate(self.users, name if len(name) <= MAX_NAME_CHARS else "", password)
        if staff is not None:
            self._limiter.clear(self._failures, "console-signin-failures", key)
            return Attempt(Outcome.SIGNED_IN, staff)
        self._limiter.hit(self._failures, "console-signin-failures", key)
        if self._limiter.test(self._failures, "console-signin-failures", key):
            return Attempt(Outcome.WRONG)
        self.storage.incr(self._lock_key(key), self.policy.lockout_seconds)
        self._limiter.clear(self._failures, "console-signin-failures", key)
        return Attempt(Outcome.LOCKED, just_locked=True)

    def locked(self, name: str) -> bool:
        """True while ``name`` is locked after too many failures."""
        return self.storage.get(self._lock_key(name_key(name))) > 0

    @staticmethod
    def _lock_key(key: str) -> str:
        return f"console-signin-lock/{key}"
