"""What the simulators add to servicekit.db's engines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker


def relaxed_sync(engine: Engine) -> None:
    """SQLite in WAL mode without an fsync per commit (synchronous=NORMAL): a commit is
    still atomic and the file never corrupt; only the last commits before a power cut may
    be lost, which a simulator can afford. An fsync per message was the largest single CPU
    cost of the center simulator. Other databases are left as they are."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_fsync_per_commit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def any_row(factory: sessionmaker[Session], sql: str) -> bool:
    """Whether a SELECT (no parameters) finds a row, read on a pooled DBAPI connection
    outside SQLAlchemy's transactions: no BEGIN IMMEDIATE (servicekit.db), no write lock, no
    commit. The cheap look for "is there anything to do?" before a write transaction, which
    reads again under its lock; nearly every request and every notifier round finds nothing
    (no fault injected, nothing due) and so costs no transaction at all."""
    engine: Engine = factory.kw["bind"]
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchone() is not None
        finally:
            cursor.close()
    finally:
        connection.close()
