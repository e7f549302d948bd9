"""The Redis client of a service, built in its app factory."""

from __future__ import annotations

import redis


def connect(url: str) -> redis.Redis:
    """A Redis client with short timeouts, so a dead Redis fails fast instead of hanging."""
    return redis.Redis.from_url(
        url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=30
    )
