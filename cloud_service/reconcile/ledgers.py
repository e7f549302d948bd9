"""Reading the four ledgers of one day: the cloud's orders, the channel bills, the insurance
ledger (4007 per order, 4008 then 4009 for the day) and the HIS (2010 or 3005 per order)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from cloud_service import saga
from cloud_service.channels.base import BillRow, ChannelError
from cloud_service.deps import Deps
from cloud_service.models import Order, OrderEvent
from cloud_service.reconcile.classify import NOT_RECORDED, RECORDED, UNKNOWN, OrderFacts
from cloud_service.refunds import out_refund_no_of
from envelope import clock

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)  # a PAID or INSURANCE_SETTLED order older is stuck
HIS_RECORDED = {"2010": "CONFIRMED", "3005": "PAID"}


@dataclass
class Ledgers:
    """What was read for one day, with the sources that could not be read."""

    orders: list[OrderFacts] = field(default_factory=list)
    bill: list[BillRow] = field(default_factory=list)
    our_refund_nos: set[str] = field(default_factory=set)
    insurance_items: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of a calendar day in Asia/Shanghai."""
    start = datetime.combine(day, time(0), tzinfo=clock.SHANGHAI)
    return start, start + timedelta(days=1)


def orders_of(deps: Deps, day: date) -> list[Order]:
    """The orders created on ``day``."""
    start, end = day_bounds(day)
    with deps.sessions() as session:
        return list(
            session.scalars(
                select(Order)
                .where(Order.created_at >= start, Order.created_at < end)
                .order_by(Order.created_at)
            )
        )


def _his_status(deps: Deps, order: Order) -> str:
    code = "3005" if order.kind == "CHARGE" else "2010"
    reply = deps.hospital.call(code, {"order_no": order.order_no}, trace_id=order.trace_id)
    if not reply.ok:
        return UNKNOWN if reply.result_code.startswith(("3", "9")) else NOT_RECORDED
    return RECORDED if reply.body.get("status") == HIS_RECORDED[code] else NOT_RECORDED


def _insurance_status(deps: Deps, order: Order) -> str:
    if order.pay_mode != "INSURANCE":
        return ""
    reply = deps.hospital.call("4007", {"order_no": order.order_no}, trace_id=order.trace_id)
    return str(reply.body.get("status") or "NONE") if reply.ok else UNKNOWN


def facts_of(deps: Deps, order: Order, window_refund: bool = False) -> OrderFacts:
    """The order as the cloud, the HIS and the insurance ledger see it now."""
    touched = order.updated_at or order.created_at
    relevant = order.state not in (saga.CANCELLED,) or order.lock_id is not None
    return OrderFacts(
        order_no=order.order_no,
        kind=order.kind,
        state=order.state,
        pay_mode=order.pay_mode,
        channel=order.channel,
        out_trade_no=order.out_trade_no,
        cash_fen=order.cash_fen,
        setl_id=order.setl_id,
        his=_his_status(deps, order) if relevant else NOT_RECORDED,
        insurance=_insurance_status(deps, order) if relevant else "",
        stale=clock.now() - touched > STALE_AFTER,
        window_refund=window_refund,
    )


def _window_refunds(deps: Deps, order_nos: list[str]) -> set[str]:
    """Orders refunded at the window (6003): CONFIRMED straight to REFUNDED."""
    with deps.sessions() as session:
        found = session.scalars(
            select(OrderEvent.order_no).where(
                OrderEvent.order_no.in_(order_nos),
                OrderEvent.from_state == saga.CONFIRMED,
                OrderEvent.to_state == saga.REFUNDED,
            )
        )
        return set(found)


def _bills(deps: Deps, day: date, ledgers: Ledgers) -> None:
    for name, channel in sorted(deps.channels.items()):
        try:
            rows: list[BillRow] = channel.trade_bill(day.isoformat())  # type: ignore[attr-defined]
        except (ChannelError, AttributeError) as exc:
            log.warning("reconciliation: %s bill of %s unreadable: %s", name, day, exc)
            ledgers.sources[name] = {"ok": False, "error": str(exc)[:200]}
            continue
        ledgers.bill += rows
        ledgers.sources[name] = {
            "ok": True,
            "payments": sum(1 for r in rows if r.kind == "PAYMENT"),
            "payments_fen": sum(r.amount_fen for r in rows if r.kind == "PAYMENT"),
            "refunds": sum(1 for r in rows if r.kind == "REFUND"),
            "refunds_fen": sum(r.amount_fen for r in rows if r.kind == "REFUND"),
        }


def _insurance_day(deps: Deps, day: date, ledgers: Ledgers) -> None:
    totals = deps.hospital.call("4008", {"date": day.isoformat()}, trace_id="")
    if not totals.ok:
        ledgers.sources["insurance"] = {"ok": False, "error": totals.result_msg[:200]}
        return
    ledgers.sources["insurance"] = {
        "ok": True,
        "result": totals.body.get("result"),
        "ours": totals.body.get("ours"),
        "center": totals.body.get("center"),
    }
    if totals.body.get("result") == "BALANCED":
        return
    detail = deps.hospital.call("4009", {"date": day.isoformat()}, trace_id="")
    if detail.ok:
        ledgers.insurance_items = list(detail.body.get("items") or [])
    else:
        ledgers.sources["insurance"]["detail_error"] = detail.result_msg[:200]


def read_ledgers(deps: Deps, day: date) -> Ledgers:
    """Everything reconciliation compares for ``day``."""
    ledgers = Ledgers()
    orders = orders_of(deps, day)
    window = _window_refunds(deps, [order.order_no for order in orders])
    ledgers.orders = [facts_of(deps, o, o.order_no in window) for o in orders]
    ledgers.our_refund_nos = {out_refund_no_of(order.order_no) for order in orders}
    unknown = sum(1 for f in ledgers.orders if f.his == UNKNOWN)
    ledgers.sources["his"] = {"ok": unknown == 0, "orders": len(orders), "unknown": unknown}
    _bills(deps, day, ledgers)
    _insurance_day(deps, day, ledgers)
    return ledgers
