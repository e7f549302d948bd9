"""The insurance ledger: every national message is written BEFORE it is sent, in its own
committed transaction, and updated with its reply and outcome.

The writes of every message (open, close, mark) and the lookup of lost settles are single
prepared SQL statements on the message's connection (db.py), not ORM units of work: they run
five times per registration and the ORM's bookkeeping was most of their cost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock
from insurance_frontend.db import Database
from insurance_frontend.models import LedgerRow

PENDING, OK, FAILED, UNKNOWN = "PENDING", "OK", "FAILED", "UNKNOWN"

TABLE: Table = LedgerRow.__table__  # type: ignore[assignment]
INSERT_ROW = insert(TABLE).returning(TABLE.c.id)
SET_REQUEST = update(TABLE).where(TABLE.c.id == bindparam("b_id"))
SET_OUTCOME = update(TABLE).where(TABLE.c.msgid == bindparam("b_msgid"))
UNSETTLED = (
    select(TABLE.c.msgid)
    .where(
        TABLE.c.order_no == bindparam("b_order_no"),
        TABLE.c.infno == bindparam("b_infno"),
        TABLE.c.outcome.in_(bindparam("b_outcomes", expanding=True)),
        TABLE.c.msgid.is_not(None),
    )
    .order_by(TABLE.c.id)
)

# build(sequence, moment) -> the complete request, msgid included.
RequestBuilder = Callable[[int, datetime], dict[str, Any]]


def aware(moment: datetime) -> datetime:
    """A stored time as an aware Asia/Shanghai time (SQLite gives back naive wall time)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=clock.SHANGHAI)
    return moment.astimezone(clock.SHANGHAI)


class Ledger:
    """Writes and reads ledger rows."""

    def __init__(self, factory: sessionmaker[Session], db: Database | None = None) -> None:
        self.factory = factory
        self.db = db or Database(factory.kw["bind"])

    def open(
        self,
        infno: str,
        build: RequestBuilder,
        *,
        order_no: str | None = None,
        sign_no: str = "",
        trace_id: str = "",
    ) -> dict[str, Any]:
        """Commit a PENDING row for the message and return the request to send.

        The row's autoincrement id is the msgid's sequence, so msgids never repeat. The row
        is committed without its msgid first; one that never gets it was never sent.
        """
        now = clock.now()
        row: dict[str, Any] = {"infno": infno, "order_no": order_no, "sign_no": sign_no}
        row.update(trace_id=trace_id, outcome=PENDING, note="", created_at=now, updated_at=now)
        with self.db.unit() as connection:
            row_id = connection.execute(INSERT_ROW, row).scalar_one()
            request = build(row_id, now)
            values = {"msgid": str(request["msgid"]), "request": request, "b_id": row_id}
            connection.execute(SET_REQUEST, values)
        return request

    def close(self, msgid: str, outcome: str, reply_text: str | None, note: str = "") -> None:
        """Record the reply (as received) and the outcome."""
        self._set(msgid, outcome=outcome, reply=reply_text, note=note[:255])

    def mark(self, msgid: str, outcome: str, note: str) -> None:
        """Change a row's outcome after the fact (a reply that did not add up)."""
        self._set(msgid, outcome=outcome, note=note[:255])

    def _set(self, msgid: str, **values: Any) -> None:
        with self.db.unit() as connection:
            changed = connection.execute(
                SET_OUTCOME, {**values, "updated_at": clock.now(), "b_msgid": msgid}
            )
        if changed.rowcount != 1:
            raise LookupError(f"no ledger row with msgid {msgid}")

    def unsettled(self, order_no: str, infno: str, outcomes: tuple[str, ...]) -> list[str]:
        """msgids of the order's ``infno`` messages whose outcome is one of ``outcomes``."""
        values = {"b_order_no": order_no, "b_infno": infno, "b_outcomes": list(outcomes)}
        with self.db.unit() as connection:
            return [str(msgid) for msgid in connection.scalars(UNSETTLED, values)]

    def latest(self, order_no: str, infno: str) -> LedgerRow | None:
        """The newest row of one message type for an order."""
        with self.factory() as session:
            return session.scalars(
                select(LedgerRow)
                .where(LedgerRow.order_no == order_no, LedgerRow.infno == infno)
                .order_by(LedgerRow.id.desc())
                .limit(1)
            ).first()

    def rows(self, order_no: str | None = None) -> list[LedgerRow]:
        """Every row, or every row of one order, oldest first."""
        with self.factory() as session:
            query = select(LedgerRow).order_by(LedgerRow.id)
            if order_no is not None:
                query = query.where(LedgerRow.order_no == order_no)
            return list(session.scalars(query))

    def by_msgid(self, msgid: str) -> LedgerRow | None:
        """The row of one message, or None."""
        with self.factory() as session:
            return session.scalars(select(LedgerRow).where(LedgerRow.msgid == msgid)).first()
