"""Every service's engine on PostgreSQL (servicekit.db.make_engine) pings a pooled
connection only after it sat idle: a connection the server dropped meanwhile is replaced
before a message sees it, a busy one costs no ping."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from servicekit.db import make_engine


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_an_idle_connection_the_server_dropped_is_replaced_unseen(hip_postgres_url: str) -> None:
    engine = make_engine(hip_postgres_url, idle_ping_seconds=0.0)
    try:
        dropped = _backend_pid(engine)
        _terminate(hip_postgres_url, dropped)
        assert _backend_pid(engine) != dropped
    finally:
        engine.dispose()


def test_a_connection_back_within_the_idle_time_is_not_pinged(hip_postgres_url: str) -> None:
    engine = make_engine(hip_postgres_url, idle_ping_seconds=3600.0)
    try:
        dropped = _backend_pid(engine)
        _terminate(hip_postgres_url, dropped)
        with pytest.raises(OperationalError):  # no ping: the message itself meets the drop
            _backend_pid(engine)
        assert _backend_pid(engine) != dropped  # and the pool has replaced it since
    finally:
        engine.dispose()
