"""Reading orders: as stored now, one user's own, and their history."""

from __future__ import annotations

from sqlalchemy import select
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


def read_with_history(deps: Deps, user_id: str, order_no: str) -> tuple[Order, list[OrderEvent]]:
    """An order of this user and its history, read on one connection (a patient's poll)."""
    with deps.sessions() as session:
        order = session.get(Order, order_no)
        if order is None or order.user_id != user_id:
            raise CloudError(codes.RECORD_NOT_FOUND, "没有这个订单")
        return order, _events(session, order_no)


def _events(session: Session, order_no: str) -> list[OrderEvent]:
    query = select(OrderEvent).where(OrderEvent.order_no == order_no).order_by(OrderEvent.id)
    return list(session.scalars(query))


def history(deps: Deps, order_no: str) -> list[OrderEvent]:
    """The order's state changes, oldest first."""
    with deps.sessions() as session:
        return _events(session, order_no)
