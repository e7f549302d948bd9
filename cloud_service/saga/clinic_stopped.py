"""Notice 6002, a clinic stopped: every paid order of it goes back by its original route
through the undo path; unpaid ones are cancelled, or closed once the channel is asked."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order
from cloud_service.saga import undo
from cloud_service.saga.outbox import RetryLater, enqueue
from cloud_service.saga.states import State, Step
from envelope import codes
from servicekit.db import transaction

log = logging.getLogger(__name__)
IN_FLIGHT = (State.PAID, State.INSURANCE_SETTLED)  # its settle or confirm step is at work


def refund_stopped_clinic(deps: Deps, schedule_id: str, reason: str) -> int:
    """The 6002 hook: undo every order of a stopped clinic; return how many paid orders were
    put on the refund path."""
    with deps.sessions() as session:
        found = session.scalars(
            select(Order).where(Order.schedule_id == schedule_id, Order.kind == "REG")
        ).all()
    affected = 0
    for order in found:
        try:
            with transaction(deps.sessions) as session:
                affected += _stop_one(session, order, f"clinic stopped: {reason}")
        except CloudError as exc:  # moved meanwhile: its follow-up step re-checks it
            if exc.result_code != codes.ORDER_STATE_CONFLICT:
                raise
            with transaction(deps.sessions) as session:
                enqueue(session, order.order_no, Step.STOPPED_REFUND)
    log.info("clinic %s stopped: %d paid orders put on the refund path", schedule_id, affected)
    return affected


def _stop_one(session: Session, order: Order, reason: str) -> int:
    """1 when the order was paid (undone now, or once its in-flight step has confirmed it)."""
    if order.state in IN_FLIGHT:
        enqueue(session, order.order_no, Step.STOPPED_REFUND)
        return 1
    if order.state == State.AWAITING_PAYMENT:  # paid meanwhile: undone once confirmed
        enqueue(session, order.order_no, Step.STOPPED_REFUND)
    moved = undo.begin(session, order, reason)
    return int(order.state == State.CONFIRMED and moved is not None)


def undo_once_confirmed(deps: Deps, order: Order) -> None:
    """The "stopped_refund" step: once an in-flight order of a stopped clinic is confirmed,
    undo it; while it is still moving, come back later."""
    if order.state in (*IN_FLIGHT, State.AWAITING_PAYMENT):
        raise RetryLater("the order is still moving; undo it once it is confirmed")
    if order.state != State.CONFIRMED:
        return
    with transaction(deps.sessions) as session:
        undo.begin(session, order, "clinic stopped: clinic stopped")
