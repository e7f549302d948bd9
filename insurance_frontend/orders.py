"""Orders on the insurance path, one row per order_no, changed by guarded updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from insurance_frontend.fees import SettleRequest
from insurance_frontend.models import InsuranceOrder
from servicekit.db import transaction

OPEN, PRESETTLED, SETTLED, REVERSED = "OPEN", "PRESETTLED", "SETTLED", "REVERSED"


class Orders:
    """Reads and writes insurance_orders."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def get(self, order_no: str) -> InsuranceOrder | None:
        """The order, or None."""
        with self.factory() as session:
            return session.scalars(
                select(InsuranceOrder).where(InsuranceOrder.order_no == order_no)
            ).first()

    def open(self, **values: Any) -> InsuranceOrder:
        """Insert a new order in state OPEN (its visit is registered at the center)."""
        now = clock.now()
        order = InsuranceOrder(status=OPEN, created_at=now, updated_at=now, **values)
        with transaction(self.factory) as session:
            session.add(order)
        return order

    def update(self, order_no: str, expected: Iterable[str], **values: Any) -> InsuranceOrder:
        """Change an order that is in one of the expected states, else 2014."""
        allowed = tuple(expected)
        with transaction(self.factory) as session:
            order = session.scalars(
                select(InsuranceOrder).where(InsuranceOrder.order_no == order_no).with_for_update()
            ).first()
            if order is None or order.status not in allowed:
                raise EnvelopeError(
                    codes.ORDER_STATE_CONFLICT, f"order is {order.status if order else 'unknown'}"
                )
            for name, value in values.items():
                setattr(order, name, value)
            order.updated_at = clock.now()
        return order


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
