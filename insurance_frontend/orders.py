"""Orders on the insurance path, one row per order_no, changed by guarded updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update

from envelope import clock, codes
from envelope.codes import EnvelopeError
from insurance_frontend.db import Database
from insurance_frontend.fees import SettleRequest
from insurance_frontend.models import InsuranceOrder

OPEN, PRESETTLED, SETTLED, REVERSED = "OPEN", "PRESETTLED", "SETTLED", "REVERSED"
TABLE: Table = InsuranceOrder.__table__  # type: ignore[assignment]
GET = select(TABLE).where(TABLE.c.order_no == bindparam("b_order_no"))
INSERT = insert(TABLE).returning(TABLE.c.id)
UPDATE = (
    update(TABLE)
    .where(
        TABLE.c.order_no == bindparam("b_order_no"),
        TABLE.c.status.in_(bindparam("b_allowed", expanding=True)),
    )
    .returning(*TABLE.c)
)


class Orders:
    """Reads and writes insurance_orders, each in one prepared SQL statement on the message's
    connection (db.py; no ORM unit of work: an order is read and changed several times per
    message); the orders handed out are detached InsuranceOrder objects."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, order_no: str) -> InsuranceOrder | None:
        """The order, or None."""
        with self.db.unit() as connection:
            row = connection.execute(GET, {"b_order_no": order_no}).first()
        return None if row is None else InsuranceOrder(**row._mapping)

    def open(self, **values: Any) -> InsuranceOrder:
        """Insert a new order in state OPEN (its visit is registered at the center)."""
        now = clock.now()
        fields = {**values, "status": OPEN, "created_at": now, "updated_at": now}
        with self.db.unit() as connection:
            order_id = connection.execute(INSERT, fields).scalar_one()
        return InsuranceOrder(id=order_id, **fields)

    def update(self, order_no: str, expected: Iterable[str], **values: Any) -> InsuranceOrder:
        """Change an order that is in one of the expected states, else 2014."""
        guard = {"b_order_no": order_no, "b_allowed": list(expected)}
        with self.db.unit() as connection:
            row = connection.execute(UPDATE, {**values, "updated_at": clock.now(), **guard}).first()
        if row is None:
            order = self.get(order_no)
            raise EnvelopeError(
                codes.ORDER_STATE_CONFLICT, f"order is {order.status if order else 'unknown'}"
            )
        return InsuranceOrder(**row._mapping)


def same_order(order: InsuranceOrder, req: SettleRequest) -> None:
    """A repeated order_no must carry the same order, else 2007."""
    if (order.mrn, order.kind, order.lock_id, tuple(order.bill_nos or ())) != (
        req.mrn,
        req.kind,
        req.lock_id,
        req.bill_nos,
    ):
        raise EnvelopeError(codes.DUPLICATE_ORDER)


def order_body(order: InsuranceOrder) -> dict[str, Any]:
    """The answer of 4004, 4005 and 4007 for an order."""
    return {
        "order_no": order.order_no,
        "status": order.status,
        "setl_id": order.setl_id,
        "mdtrt_id": order.mdtrt_id,
        "psn_no": order.psn_no,
        "insutype": order.insutype,
        "split": order.split,
    }
