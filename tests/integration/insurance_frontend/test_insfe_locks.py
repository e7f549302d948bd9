"""insurance_frontend.locks with a real Redis: a held lock outlives its timeout while its
holder works, and a lock that lapsed anyway is never an error once the work is done."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from insurance_frontend.locks import held


@pytest.fixture()
def client(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()


def test_a_held_lock_is_renewed_past_its_timeout_and_keeps_others_out(
    client: redis.Redis,
) -> None:
    name = f"test:lock:{uuid.uuid4().hex}"
    with held(client, name, 0.2, wait=0) as lease:
        assert lease is not None
        time.sleep(0.6)  # three timeouts
        with held(client, name, 0.2, wait=0.1) as other:
            assert other is None
        assert lease.confirm()
    assert client.get(name) is None  # released on leaving
    with held(client, name, 0.2, wait=0) as again:
        assert again is not None


def test_a_lapsed_lock_is_logged_not_raised(
    client: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"test:lock:{uuid.uuid4().hex}"
    logs = caplog.at_level(logging.WARNING, "insurance_frontend.locks")
    with logs, held(client, name, 5, wait=0) as lease:
        assert lease is not None
        client.delete(name)  # as after a Redis restart
        client.set(name, "another worker")
        assert not lease.confirm()
    assert client.get(name) == b"another worker"  # not released by the late holder
    assert "not released cleanly" in caplog.text
