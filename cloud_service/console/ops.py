"""What the operations console does with the cloud's ledger: search orders, read what the
cloud knows of insurance sign-in, record a window refund (audited)."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select

from cloud_service.console.recon import parse_day
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order, OrderEvent
from cloud_service.saga import window_refunds
from envelope import clock, codes
from servicekit import money
from servicekit.db import transaction

log = logging.getLogger(__name__)
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class OrderQuery:
    """What the console searches orders by (each optional)."""

    order_no: str = ""
    mrn: str = ""
    state: str = ""
    day: str = ""  # yyyy-MM-dd of creation, Asia/Shanghai


def search_orders(deps: Deps, query: OrderQuery) -> list[Order]:
    """Orders matching the query, newest first, at most SEARCH_LIMIT."""
    stmt = select(Order).order_by(Order.created_at.desc()).limit(SEARCH_LIMIT)
    if query.order_no:
        stmt = stmt.where(
            or_(Order.order_no == query.order_no, Order.out_trade_no == query.order_no)
        )
    if query.mrn:
        stmt = stmt.where(Order.mrn == query.mrn)
    if query.state:
        stmt = stmt.where(Order.state == query.state)
    if query.day:
        start = datetime.combine(parse_day(query.day), time.min, tzinfo=clock.SHANGHAI)
        stmt = stmt.where(Order.created_at >= start, Order.created_at < start + timedelta(days=1))
    with deps.sessions() as session:
        return list(session.scalars(stmt))


def insurance_signals(deps: Deps, limit: int = 20) -> dict[str, list[OrderEvent]]:
    """The cloud's own evidence of insurance sign-in: recent settlements (4005 answered)
    and recent refusals naming 2013 (sign-in missing or expired), newest first."""
    newest = select(OrderEvent).order_by(OrderEvent.id.desc()).limit(limit)
    with deps.sessions() as session:
        settled = list(session.scalars(newest.where(OrderEvent.note.like("insurance settled%"))))
        refused = list(session.scalars(newest.where(OrderEvent.note.like("%2013%"))))
    return {"settled": settled, "refused": refused}


def yuan_to_fen(text: str) -> int:
    """A yuan amount typed by staff ("12.5") as integer fen; refused (1009) unless positive."""
    try:
        # Staff may leave spaces around what they type; inside, the shared strict rules hold.
        fen = money.yuan_to_fen(text.strip())
    except (money.NotAnAmount, AttributeError) as exc:
        raise CloudError(codes.BODY_INVALID, "金额须为元，最多两位小数，例如 12.50") from exc
    if fen <= 0:
        raise CloudError(codes.BODY_INVALID, "金额须大于零")
    return fen


def record_window_refund(
    deps: Deps, staff: str, order_no: str, amount_fen: int, refund_no: str, reason: str
) -> str:
    """Record a refund made at the window, once per refund number and never more than is
    left refundable, audit who did it, and answer the order's new state."""
    facts = {
        "refund_no": refund_no[:40],
        "refund_fen": amount_fen,
        "reason": reason[:100],
        "recorded_by": staff,
    }
    state = window_refunds.record_window_refund(
        deps, order_no, facts, source="CONSOLE", recorded_by=staff
    )
    audit_operation(deps, staff, "window_refund", order_no, facts)
    return state


def audit_operation(
    deps: Deps, staff: str, action: str, order_no: str, detail: dict[str, Any]
) -> None:
    """Audit a console action with the reconciliation audit when it exists, else as a note
    in the order's history."""
    try:
        module = importlib.import_module("cloud_service.reconcile")
        record = module.record_operation
    except (ImportError, AttributeError):
        record = None
    if record is not None:
        try:
            record(deps, actor=staff, action=action, target=order_no, detail=detail)
            return
        except TypeError:
            log.warning("record_operation has another signature; auditing in the order history")
    _note(deps, order_no, f"console {action} by {staff}: {detail}")


def _note(deps: Deps, order_no: str, note: str) -> None:
    with transaction(deps.sessions) as session:
        order = session.get(Order, order_no)
        state = order.state if order is not None else ""
        session.add(
            OrderEvent(
                order_no=order_no, from_state=state, to_state=state, note=note, at=clock.now()
            )
        )
