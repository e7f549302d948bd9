"""The simulators' database helpers: the look before a write transaction takes no lock,
and SQLite commits without an fsync each."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import make_engine, session_factory, transaction
from simulators.db import any_row, relaxed_sync


def _factory(tmp_path: Path) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'sim.db'}")
    relaxed_sync(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        session.execute(text("CREATE TABLE jobs (state TEXT)"))
    return engine, factory


def test_any_row_finds_a_row_and_finds_none(tmp_path: Path) -> None:
    _, factory = _factory(tmp_path)
    assert not any_row(factory, "SELECT 1 FROM jobs WHERE state = 'DUE' LIMIT 1")
    with transaction(factory) as session:
        session.execute(text("INSERT INTO jobs VALUES ('DUE')"))
    assert any_row(factory, "SELECT 1 FROM jobs WHERE state = 'DUE' LIMIT 1")
    assert not any_row(factory, "SELECT 1 FROM jobs WHERE state = 'DONE' LIMIT 1")


def test_any_row_is_not_held_up_by_a_writer_holding_the_lock(tmp_path: Path) -> None:
    _, factory = _factory(tmp_path)
    with transaction(factory) as writer:  # BEGIN IMMEDIATE: the database's write lock
        writer.execute(text("INSERT INTO jobs VALUES ('DUE')"))
        started = time.monotonic()
        # the writer's row is not committed: not seen, and the look did not wait
        assert not any_row(factory, "SELECT 1 FROM jobs LIMIT 1")
        assert time.monotonic() - started < 1.0
    assert any_row(factory, "SELECT 1 FROM jobs LIMIT 1")


def test_sqlite_commits_without_an_fsync_each_but_stays_in_wal(tmp_path: Path) -> None:
    engine, _ = _factory(tmp_path)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
