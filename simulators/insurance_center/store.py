"""The center's state as JSON documents in one SQL table, one transaction per request.

SQLite's BEGIN IMMEDIATE (servicekit.db) serialises writers, so several gunicorn workers
see one consistent center: persons and balances, sign-ins, visits with their fees,
settlements, the message log by msgid, nonces and injected faults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, delete, select
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


class Docs:
    """Reads and writes documents inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """The document, or None."""
        row = self.session.get(Doc, (kind, key))
        return dict(row.body) if row is not None else None

    def put(self, kind: str, key: str, body: dict[str, Any]) -> None:
        """Insert or replace a document."""
        self.session.merge(Doc(kind=kind, key=key, body=json.loads(json.dumps(body))))
        self.session.flush()

    def drop(self, kind: str, key: str | None = None) -> None:
        """Delete one document, or every document of a kind."""
        query = delete(Doc).where(Doc.kind == kind)
        if key is not None:
            query = query.where(Doc.key == key)
        self.session.execute(query)

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every document of a kind, in key order."""
        rows = self.session.scalars(select(Doc).where(Doc.kind == kind).order_by(Doc.key))
        return [dict(row.body) for row in rows]


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
