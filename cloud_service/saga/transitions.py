"""Guarded state changes (DESIGN §5): each one is ``UPDATE orders SET state = new WHERE
order_no = ? AND state = expected ... RETURNING *`` in the caller's transaction, with the
history row and the outbox row of the next step, so a crash between steps leaves an order
the worker resumes exactly where it stopped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from cloud_service.errors import CloudError
from cloud_service.models import Order, OrderEvent
from cloud_service.saga.outbox import enqueue
from cloud_service.saga.states import ALLOWED, State, Step
from envelope import clock, codes


def move(
    session: Session,
    order_no: str,
    expected: str,
    new: State,
    *,
    note: str = "",
    step: Step | None = None,
    step_due: datetime | None = None,
    guard: tuple[Any, ...] = (),
    **fields: Any,
) -> Order:
    """Guarded transition with history and (optionally) the next outbox step; returns the
    order as it stands after the change (no reload needed).

    ``guard``: further conditions the row must meet (e.g. the refunded amount read before),
    so that two writers who read the same row cannot both pass.
    Raises 2014 when the order is no longer in ``expected`` (someone else moved it).
    """
    if new not in ALLOWED.get(State(expected), frozenset()):
        raise ValueError(f"transition {expected} -> {new} is not in the saga")
    now = clock.now()
    moved = session.scalars(
        update(Order)
        .where(Order.order_no == order_no, Order.state == expected, *guard)
        .values(state=new, updated_at=now, **fields)
        .returning(Order)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).one_or_none()
    if moved is None:
        raise CloudError(codes.ORDER_STATE_CONFLICT, "订单状态已变化，请刷新后重试")
    session.add(OrderEvent(order_no=order_no, from_state=expected, to_state=new, note=note, at=now))
    if step is not None:
        enqueue(session, order_no, step, step_due or now)
    return moved


def record_created(session: Session, order: Order, note: str) -> None:
    """Insert a new order and the first line of its history."""
    session.add(order)
    session.flush()
    session.add(
        OrderEvent(
            order_no=order.order_no, from_state="", to_state=order.state, note=note, at=clock.now()
        )
    )
