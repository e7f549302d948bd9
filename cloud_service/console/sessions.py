"""Staff sessions of the operations console, kept on the server (Redis).

The browser holds only a random session id; Redis holds whose session it is, its CSRF
token and when it began and was last used, under the SHA-256 of the id (so a copy of
Redis holds no usable cookie). A session is dead at once when signed out, when unused for
the idle time, and when the absolute lifetime since sign-in has passed."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from redis import Redis

PREFIX = "console:session:"
MAX_ID_CHARS = 128  # ours are 43; anything longer is not worth a Redis lookup


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: idle without use, and at most after sign-in."""

    idle_seconds: int = 1800
    max_seconds: int = 43200


@dataclass(frozen=True)
class StaffSession:
    """One signed-in staff member's session."""

    session_id: str
    staff: str
    csrf: str
    started_at: float
    seen_at: float


class SessionStore:
    """Start, find and end staff sessions in Redis."""

    def __init__(
        self,
        redis: Redis,
        policy: SessionPolicy,
        now: Callable[[], float] = time.time,
        prefix: str = PREFIX,
    ) -> None:
        self.redis = redis
        self.policy = policy
        self.now = now
        self.prefix = prefix

    def start(self, staff: str) -> StaffSession:
        """A new session with a new random id and CSRF token."""
        at = self.now()
        session = StaffSession(secrets.token_urlsafe(32), staff, secrets.token_urlsafe(32), at, at)
        self.redis.set(self._key(session.session_id), self._dump(session), ex=self._ttl(session))
        return session

    def find(self, session_id: str) -> StaffSession | None:
        """The live session of this id, marked as used now; None when unknown or expired."""
        if not session_id or len(session_id) > MAX_ID_CHARS:
            return None
        raw = self.redis.get(self._key(session_id))
        if raw is None:
            return None
        session = self._load(session_id, raw)
        at = self.now()
        if session is None or self._expired(session, at):
            self.end(session_id)
            return None
        session = replace(session, seen_at=at)
        # xx: only while it still exists, so a request racing a sign-out cannot revive it
        self.redis.set(self._key(session_id), self._dump(session), ex=self._ttl(session), xx=True)
        return session

    def end(self, session_id: str) -> None:
        """Forget the session: its cookie stops working at once."""
        if session_id and len(session_id) <= MAX_ID_CHARS:
            self.redis.delete(self._key(session_id))

    def _expired(self, session: StaffSession, at: float) -> bool:
        idle = at - session.seen_at >= self.policy.idle_seconds
        return idle or at - session.started_at >= self.policy.max_seconds

    def _ttl(self, session: StaffSession) -> int:
        """Redis forgets a session when it could no longer be used anyway."""
        left = session.started_at + self.policy.max_seconds - session.seen_at
        return max(1, math.ceil(min(self.policy.idle_seconds, left)))

    def _key(self, session_id: str) -> str:
        return self.prefix + hashlib.sha256(session_id.encode()).hexdigest()

    @staticmethod
    def _dump(session: StaffSession) -> str:
        return json.dumps(
            {
                "staff": session.staff,
                "csrf": session.csrf,
                "started_at": session.started_at,
                "seen_at": session.seen_at,
            }
        )

    @staticmethod
    def _load(session_id: str, raw: bytes | str) -> StaffSession | None:
        try:
            data = json.loads(raw)
            return StaffSession(
                session_id,
                str(data["staff"]),
                str(data["csrf"]),
                float(data["started_at"]),
                float(data["seen_at"]),
            )
        except (ValueError, KeyError, TypeError):  # not ours: treat as no session
            return None
