"""The center's state as JSON documents in one SQL table, one transaction per request.

SQLite's BEGIN IMMEDIATE (servicekit.db) serialises writers, so several gunicorn workers
see one consistent center: persons and balances, sign-ins, visits with their fees,
settlements, the message log by msgid, nonces and injected faults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from sqlalchemy import JSON, Connection, String, Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from servicekit import money

PERSONS_FILE = Path(__file__).with_name("persons.json")
# Written by the HIS seed for its further insured patients; same shape as persons.json.
PERSONS_EXTRA_FILE = Path(__file__).with_name("persons_extra.json")


class Base(DeclarativeBase):
    """Declarative base of the simulator's own tables."""


class Doc(Base):
    """One document of a kind (person, cert, signin, mdtrt, setl, msg, nonce, fault)."""

    __tablename__ = "center_docs"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


_DOCS = cast(Table, Doc.__table__)
columns = _DOCS.c
# Core statements, built once: a document read or written costs one round trip and no ORM
# unit of work (the center's CPU per message was mostly the ORM's get and merge).
_GET = select(columns.body).where(
    columns.kind == bindparam("kind"), columns.key == bindparam("key")
)
_ALL = select(columns.body).where(columns.kind == bindparam("kind")).order_by(columns.key)


def _upserts(dialect: str) -> tuple[Any, Any]:
    """(replace, insert if absent) for the dialect: both SQLite and PostgreSQL say it so."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(_DOCS)
    replace = statement.on_conflict_do_update(
        index_elements=[columns.kind, columns.key], set_={"body": statement.excluded.body}
    )
    return replace, statement.on_conflict_do_nothing(index_elements=[columns.kind, columns.key])


_UPSERTS = {name: _upserts(name) for name in ("sqlite", "postgresql")}


class Docs:
    """Reads and writes documents inside the caller's transaction (on its connection, so a
    savepoint of the session undoes them too)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._connection: Connection | None = None

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = self.session.connection()
        return self._connection

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """The document (a fresh copy), or None."""
        row = self.connection.execute(_GET, {"kind": kind, "key": key}).first()
        return dict(row[0]) if row is not None else None

    def put(self, kind: str, key: str, body: dict[str, Any]) -> None:
        """Insert or replace a document."""
        replace, _ = _UPSERTS[self.connection.dialect.name]
        self.connection.execute(replace, {"kind": kind, "key": key, "body": body})

    def add(self, kind: str, key: str, body: dict[str, Any]) -> bool:
        """Insert a document unless one is there: True when this call added it."""
        _, insert = _UPSERTS[self.connection.dialect.name]
        return bool(
            self.connection.execute(insert, {"kind": kind, "key": key, "body": body}).rowcount
        )

    def drop(self, kind: str, key: str | None = None) -> None:
        """Delete one document, or every document of a kind."""
        query = delete(Doc).where(Doc.kind == kind)
        if key is not None:
            query = query.where(Doc.key == key)
        self.connection.execute(query)

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every document of a kind, in key order."""
        return [dict(body) for (body,) in self.connection.execute(_ALL, {"kind": kind})]


def seed_persons(docs: Docs, path: Path = PERSONS_FILE, extra: Path | None = None) -> None:
    """Load persons.json (and persons_extra.json beside it, when present) once: persons with
    their account balance and yearly usage."""
    entries = list(json.loads(path.read_text(encoding="utf-8")))
    extra = PERSONS_EXTRA_FILE if extra is None else extra
    if extra.is_file():
        entries.extend(json.loads(extra.read_text(encoding="utf-8")))
    for raw in entries:
        if docs.get("person", raw["psn_no"]) is not None:
            continue
        person = {k: v for k, v in raw.items() if k != "balc"}
        person["balc_fen"] = money.yuan_to_fen(raw["balc"])
        person["years"] = {}
        docs.put("person", raw["psn_no"], person)
        docs.put("cert", raw["certno"], {"psn_no": raw["psn_no"]})
