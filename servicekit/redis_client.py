"""The Redis client of a service, built in its app factory."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def connect(url: str) -> redis.Redis:
    """A Redis client with short timeouts, so a dead Redis fails fast instead of hanging."""
    return redis.Redis.from_url(
        url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=30
    )


def connect_optional(url: str, timeout_seconds: float = 0.5) -> redis.Redis:
    """A client for a shortcut the service can do without: one try, a short timeout, so a
    dead Redis costs a patient half a second rather than retries with backoff."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )
