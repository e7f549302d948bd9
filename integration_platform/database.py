"""integration_platform's reads: single statements in autocommit on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine


def reader_of(engine: Engine) -> Engine:
    """The engine for single-statement reads: on PostgreSQL in autocommit, so a read is one
    round trip instead of BEGIN, the read and ROLLBACK; SQLite's engine as it is (its
    transactions begin IMMEDIATE, which an autocommit connection would never end)."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")
