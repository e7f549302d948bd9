"""Freshness: the 300-second timestamp window and once-only nonces kept in Redis."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from envelope import clock, codes

WINDOW_SECONDS = 300


class NonceStore(Protocol):
    """Remembers a nonce for the window; ``remember`` is False when it was already seen."""

    def remember(self, nonce: str, ttl_seconds: int) -> bool: ...


class RedisNonceStore:
    """Nonces as ``SET key 1 NX EX ttl`` in Redis, one namespace per receiving service."""

    def __init__(self, redis_client: object, namespace: str) -> None:
        self._redis = redis_client
        self._prefix = f"nonce:{namespace}:"

    def key(self, nonce: str) -> str:
        """The Redis name a nonce is kept under (a Lua script may set it, as the gateway's
        rate limits do in the same round trip)."""
        return self._prefix + nonce

    def remember(self, nonce: str, ttl_seconds: int) -> bool:
        """Store the nonce; False if it was there already (a replay)."""
        return bool(self._redis.set(self.key(nonce), b"1", nx=True, ex=ttl_seconds))  # type: ignore[attr-defined]


class MemoryNonceStore:
    """An in-process nonce store for unit tests and single-process tools."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def remember(self, nonce: str, ttl_seconds: int) -> bool:
        """Store the nonce; False if it was there already."""
        if nonce in self._seen:
            return False
        self._seen.add(nonce)
        return True


def check_timestamp(
    timestamp: str, at: datetime | None = None, window_seconds: int = WINDOW_SECONDS
) -> None:
    """Refuse (1004) a timestamp more than the window away from now, or one with no offset."""
    try:
        moment = clock.parse_iso(timestamp)
    except ValueError as exc:
        raise codes.EnvelopeError(codes.BAD_FIELD, "header field timestamp is malformed") from exc
    drift = abs(((at or clock.now()) - moment).total_seconds())
    if drift > window_seconds:
        raise codes.EnvelopeError(codes.STALE_TIMESTAMP)


def nonce_ttl(window_seconds: int = WINDOW_SECONDS) -> int:
    """How long a nonce is kept: twice the window, to cover clock drift both ways."""
    return 2 * window_seconds


def check_nonce(store: NonceStore, nonce: str, window_seconds: int = WINDOW_SECONDS) -> None:
    """Refuse (1005) a nonce seen within the window (kept twice the window to cover drift)."""
    if not store.remember(nonce, nonce_ttl(window_seconds)):
        raise codes.EnvelopeError(codes.REPLAYED_NONCE)
