"""Reading orders: as stored now, one user's own, and their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order, OrderEvent
from envelope import codes
from servicekit.logs import bind_trace_id


def reload(deps: Deps, order_no: str) -> Order:
    """The order as stored now."""
    with deps.sessions() as session:
        order = session.get(Order, order_no)
    if order is None:
        raise CloudError(codes.RECORD_NOT_FOUND, "没有这个订单")
    return order


def follow_order(order: Order) -> str:
    """The order's own trace id, bound to this request's log lines too: every hop of an
    order, whichever request or step makes it, carries the trace id it was created with."""
    bind_trace_id(order.trace_id)
    return order.trace_id


def get_order(deps: Deps, user_id: str, order_no: str) -> Order:
    """An order of this user (another user's order is as good as absent)."""
    order = reload(deps, order_no)
    if order.user_id != user_id:
        raise CloudError(codes.RECORD_NOT_FOUND, "没有这个订单")
    return order


class Event(NamedTuple):
    """One line of an order's history as a poll reads it."""

    from_state: str
    to_state: str
    note: str
    at: datetime


_ORDERS, _EVENTS = Order.__table__, OrderEvent.__table__
# A poll in one statement: the order's row once per history line (a LEFT JOIN, oldest first)
_POLL = (
    select(
        _ORDERS,
        _EVENTS.c.from_state.label("event_from"),
        _EVENTS.c.to_state.label("event_to"),
        _EVENTS.c.note.label("event_note"),
        _EVENTS.c.at.label("event_at"),
    )
    .outerjoin(_EVENTS, _EVENTS.c.order_no == _ORDERS.c.order_no)
    .where(_ORDERS.c.order_no == bindparam("order_no"))
    .order_by(_EVENTS.c.id)
)


def read_with_history(deps: Deps, user_id: str, order_no: str) -> tuple[Row[Any], list[Event]]:
    """An order of this user (its row: the Order's fields by name) and its history, read in
    one statement without the ORM: a patient's poll."""
    with deps.sessions() as session:
        rows = session.connection().execute(_POLL, {"order_no": order_no}).all()
    if not rows or rows[0].user_id != user_id:
        raise CloudError(codes.RECORD_NOT_FOUND, "没有这个订单")
    events = [
        Event(r.event_from, r.event_to, r.event_note, r.event_at)
        for r in rows
        if r.event_at is not None
    ]
    return rows[0], events


def _events(session: Session, order_no: str) -> list[OrderEvent]:
    query = select(OrderEvent).where(OrderEvent.order_no == order_no).order_by(OrderEvent.id)
    return list(session.scalars(query))


def history(deps: Deps, order_no: str) -> list[OrderEvent]:
    """The order's state changes, oldest first."""
    with deps.sessions() as session:
        return _events(session, order_no)
