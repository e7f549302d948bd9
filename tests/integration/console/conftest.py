"""Every console test starts with no sessions, counters or locks left by another test
(they share the session's Redis, and the test client always comes from 127.0.0.1)."""

from __future__ import annotations

import pytest
import redis


@pytest.fixture(autouse=True)
def _fresh_console_keys(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match="console*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
