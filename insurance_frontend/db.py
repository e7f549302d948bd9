"""The one connection a message's statements share.

Handling one message writes and reads the ledger and the order a dozen times, each a small
committed unit. Checking a connection out of the pool for each (a ping, the statement, a
rollback on return) made the round trips most of the frontend's CPU, so a handler holds one
connection for the whole message (``held``) and every unit runs on it, committed as soon as
it ends, exactly as its own transaction was before.

On PostgreSQL the connection is in autocommit, so a unit of one statement is one round trip.
servicekit's SQLite engine begins every transaction with BEGIN IMMEDIATE (its writers are
serialised), which autocommit would bypass, so there each unit is a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, Engine


class Database:
    """Committed units of work on insurance_frontend's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.autocommit = engine.dialect.name != "sqlite"
        self._held: ContextVar[Connection | None] = ContextVar("insfe_connection", default=None)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Run the block's units on one connection (nested blocks share it)."""
        if self._held.get() is not None:
            yield
            return
        with self._connect() as connection:
            token = self._held.set(connection)
            try:
                yield
            finally:
                self._held.reset(token)

    @contextmanager
    def unit(self) -> Iterator[Connection]:
        """A committed unit: on the held connection, or one of its own outside a message."""
        held = self._held.get()
        if held is not None:
            with self._committed(held):
                yield held
            return
        with self._connect() as connection, self._committed(connection):
            yield connection

    @contextmanager
    def _committed(self, connection: Connection) -> Iterator[None]:
        if self.autocommit:
            yield
            return
        with connection.begin():
            yield

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            if self.autocommit:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection
