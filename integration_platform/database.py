"""integration_platform's database engine: servicekit's, except that on PostgreSQL a pooled
connection is pinged only when it sat idle for a while, not on every checkout.

Under load a connection goes back to work within milliseconds of its last message, and a
ping on each checkout was a round trip per message. One idle past ``IDLE_PING_SECONDS``
(where a restarted server or a dropped link hides) is pinged first and, when the ping fails,
replaced by a fresh connection before the message sees it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError

from servicekit.db import make_engine

IDLE_PING_SECONDS = 1.0


def hip_engine(url: str, idle_ping_seconds: float = IDLE_PING_SECONDS) -> Engine:
    """The engine for the HIS database at ``url``."""
    if not url.startswith("postgresql"):
        return make_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url, pool_size=5, max_overflow=10)

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_when_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_ping_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:  # any failure: the pool replaces this connection
            raise DisconnectionError("the idle connection is gone") from exc

    return engine


def reader_of(engine: Engine) -> Engine:
    """The engine for single-statement reads: on PostgreSQL in autocommit, so a read is one
    round trip instead of BEGIN, the read and ROLLBACK; SQLite's engine as it is (its
    transactions begin IMMEDIATE, which an autocommit connection would never end)."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")
