"""The insurance ledger: every national message is written BEFORE it is sent, in its own
committed transaction, and updated with its reply and outcome."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock
from insurance_frontend.models import LedgerRow
from servicekit.db import transaction

PENDING, OK, FAILED, UNKNOWN = "PENDING", "OK", "FAILED", "UNKNOWN"

# build(sequence, moment) -> the complete request, msgid included.
RequestBuilder = Callable[[int, datetime], dict[str, Any]]


def aware(moment: datetime) -> datetime:
    """A stored time as an aware Asia/Shanghai time (SQLite gives back naive wall time)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=clock.SHANGHAI)
    return moment.astimezone(clock.SHANGHAI)


class Ledger:
    """Writes and reads ledger rows."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

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

        The row's autoincrement id is the msgid's sequence, so msgids never repeat.
        """
        now = clock.now()
        with transaction(self.factory) as session:
            row = LedgerRow(
                infno=infno,
                order_no=order_no,
                sign_no=sign_no,
                trace_id=trace_id,
                outcome=PENDING,
                note="",
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            request = build(row.id, now)
            row.msgid = str(request["msgid"])
            row.request = request
        return request

    def close(self, msgid: str, outcome: str, reply_text: str | None, note: str = "") -> None:
        """Record the reply (as received) and the outcome."""
        with transaction(self.factory) as session:
            row = session.scalars(select(LedgerRow).where(LedgerRow.msgid == msgid)).one()
            row.outcome = outcome
            row.reply = reply_text
            row.note = note[:255]
            row.updated_at = clock.now()

    def mark(self, msgid: str, outcome: str, note: str) -> None:
        """Change a row's outcome after the fact (a reply that did not add up)."""
        with transaction(self.factory) as session:
            row = session.scalars(select(LedgerRow).where(LedgerRow.msgid == msgid)).one()
            row.outcome = outcome
            row.note = note[:255]
            row.updated_at = clock.now()

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
