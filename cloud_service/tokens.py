"""Patients' sign-ins and their bearer tokens, kept server-side in Redis (DESIGN §11).

A token is an opaque random string (RFC 6750 bearer tokens, 256 bits from ``secrets``);
what it means lives only here, so it carries no personal data and is dead the moment its
record is gone. One sign-in (a "session") owns an access token (at most 2 h) and a refresh
token (single use, at most 30 days from the sign-in). Presenting a refresh token answers a
new pair; presenting one that was already used means it was stolen or replayed, and every
token of that sign-in is revoked. Keys hold the SHA-256 of a token, never the token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any, cast

from redis import Redis

PREFIX = "cloud:auth:"
MAX_ACCESS_SECONDS = 7200
MAX_REFRESH_SECONDS = 30 * 86400

# Take a refresh token once: its key is deleted and a "used" mark kept for the rest of the
# sign-in, so a second presentation is told apart from an unknown token.
_TAKE_REFRESH = """
local sid = redis.call('GET', KEYS[1])
if sid then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], sid, 'PX', ARGV[1])
  return {'OK', sid}
end
local used = redis.call('GET', KEYS[2])
if used then return {'REUSED', used} end
return {'UNKNOWN', ''}
"""
# An access token's sign-in in one round trip: its session id, then the session's fields
# (user_id, entry, ends_at), or nothing when the token or its sign-in is gone.
_AUTHENTICATE = """
local sid = redis.call('GET', KEYS[1])
if not sid then return false end
local found = redis.call('HMGET', ARGV[1] .. sid, 'user_id', 'entry')
if not found[1] or not found[2] then return false end
return {sid, found[1], found[2]}
"""


@dataclass(frozen=True)
class Principal:
    """Who a valid access token stands for: the user, the entry they signed in by, and the
    sign-in itself (revoked as a whole)."""

    user_id: str
    entry: str  # APP (SMS), WECHAT or ALIPAY
    session_id: str


@dataclass(frozen=True)
class TokenPair:
    """What a sign-in or a refresh answers."""

    access_token: str
    refresh_token: str
    expires_in: int


class RefreshReused(Exception):
    """A refresh token presented a second time: its sign-in has been revoked."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class TokenStore:
    """Sign-ins and tokens in Redis; every check is one or two round trips."""

    def __init__(
        self,
        redis: Redis,
        access_seconds: int = MAX_ACCESS_SECONDS,
        refresh_seconds: int = MAX_REFRESH_SECONDS,
    ) -> None:
        self.redis = redis
        self.access_seconds = min(access_seconds, MAX_ACCESS_SECONDS)
        self.refresh_seconds = min(refresh_seconds, MAX_REFRESH_SECONDS)
        self._take_refresh = redis.register_script(_TAKE_REFRESH)
        self._authenticate = redis.register_script(_AUTHENTICATE)

    def sign_in(self, user_id: str, entry: str) -> TokenPair:
        """Open a sign-in for the user and answer its first pair of tokens."""
        session_id = secrets.token_hex(16)
        ends_at = int(time.time()) + self.refresh_seconds
        self.redis.hset(
            PREFIX + "session:" + session_id,
            mapping={"user_id": user_id, "entry": entry, "ends_at": ends_at},
        )
        self.redis.expireat(PREFIX + "session:" + session_id, ends_at)
        return self._pair(session_id, ends_at)

    def authenticate(self, access_token: str) -> Principal | None:
        """The principal of a live access token, or None (unknown, expired or revoked)."""
        found = self._authenticate(
            keys=[PREFIX + "access:" + _digest(access_token)], args=[PREFIX + "session:"]
        )
        if not found:
            return None
        session_id, user_id, entry = (_text(value) for value in found)
        return Principal(user_id, entry, session_id)

    def refresh(self, refresh_token: str) -> tuple[TokenPair, Principal] | None:
        """A new pair for a refresh token used once, with whom it stands for; None for an
        unknown or ended one. Raises RefreshReused (after revoking the sign-in) for one used
        before."""
        digest = _digest(refresh_token)
        remaining = self.refresh_seconds * 1000
        outcome, sid = self._take_refresh(
            keys=[PREFIX + "refresh:" + digest, PREFIX + "used:" + digest], args=[remaining]
        )
        session_id = _text(sid)
        if _text(outcome) == "REUSED":
            self.revoke(session_id)
            raise RefreshReused()
        if _text(outcome) != "OK":
            return None
        found = self._session(session_id)
        if found is None or found[1] <= time.time():
            return None
        principal, ends_at = found
        return self._pair(session_id, ends_at), principal

    def revoke(self, session_id: str) -> None:
        """End a sign-in: its session and every token it issued stop working at once."""
        keys_key = PREFIX + "keys:" + session_id
        with self.redis.pipeline() as pipe:
            pipe.smembers(keys_key)
            pipe.delete(PREFIX + "session:" + session_id)
            members = pipe.execute()[0]
        if members:
            self.redis.delete(*members, keys_key)

    def move(self, session_id: str, user_id: str) -> None:
        """Let a sign-in stand for another user from now on (a merge of two accounts)."""
        self.redis.hset(PREFIX + "session:" + session_id, "user_id", user_id)

    def _session(self, session_id: str) -> tuple[Principal, int] | None:
        """The sign-in's principal and when it ends, or None when it is gone."""
        session = cast(dict[Any, Any], self.redis.hgetall(PREFIX + "session:" + session_id))
        if not session:
            return None
        user_id, entry = _text(session[b"user_id"]), _text(session[b"entry"])
        return Principal(user_id, entry, session_id), int(session[b"ends_at"])

    def _pair(self, session_id: str, ends_at: int) -> TokenPair:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        refresh_left = max(1, ends_at - int(time.time()))
        access_key = PREFIX + "access:" + _digest(access)
        refresh_key = PREFIX + "refresh:" + _digest(refresh)
        keys_key = PREFIX + "keys:" + session_id
        with self.redis.pipeline() as pipe:
            pipe.set(access_key, session_id, ex=min(self.access_seconds, refresh_left))
            pipe.set(refresh_key, session_id, ex=refresh_left)
            # what revoke() deletes; the used marks go too, so a reuse after revocation
            # is simply unknown
            pipe.sadd(keys_key, access_key, refresh_key, PREFIX + "used:" + _digest(refresh))
            pipe.expireat(keys_key, ends_at)
            pipe.execute()
        return TokenPair(access, refresh, min(self.access_seconds, refresh_left))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
