"""Every hospital call of the order life cycle, one small function per trade code, each
under the order's own trace id and entry channel (DESIGN §3)."""

from __future__ import annotations

import json
from typing import Any

from cloud_service.deps import Deps
from cloud_service.models import Order
from envelope import Reply


def settle_body(order: Order) -> dict[str, Any]:
    """The body of 4004/4005: the order's lock (REG) or its listed bills (CHARGE)."""
    body: dict[str, Any] = {
        "order_no": order.order_no,
        "mrn": order.mrn,
        "kind": order.kind,
        "acct_used": True,
    }
    if order.kind == "CHARGE":
        body["bill_nos"] = json.loads(order.bill_nos or "[]")
        body["bills_digest"] = order.bills_digest
    else:
        body["lock_id"] = order.lock_id
    return body


def settlement_of(order: Order) -> dict[str, Any]:
    """The ``settlement`` object of 2008/3003 (DESIGN §3)."""
    settlement: dict[str, Any] = {
        "pay_mode": order.pay_mode,
        "channel": order.channel if order.cash_fen > 0 else "NONE",
        "channel_trade_no": order.channel_trade_no or "",
        "cash": order.cash_fen,
    }
    if order.pay_mode == "INSURANCE":
        settlement["setl_id"] = order.setl_id
        settlement["split"] = json.loads(order.split_json or "{}")
    return settlement


def remaining_slots(deps: Deps, schedule_id: str, trace_id: str) -> Reply:
    """2005: a clinic's free slots, asked live."""
    return deps.hospital.call("2005", {"schedule_id": schedule_id}, trace_id=trace_id)


def lock_slot(deps: Deps, order: Order, slot_id: str | None) -> Reply:
    """2006: lock (today) or book (a later day) the order's slot."""
    body: dict[str, Any] = {
        "schedule_id": order.schedule_id,
        "mrn": order.mrn,
        "order_no": order.order_no,
    }
    if slot_id:
        body["slot_id"] = slot_id
    return deps.hospital.call(
        "2006", body, trace_id=order.trace_id, operator=order.user_id, channel=order.entry
    )


def release_slot(deps: Deps, order: Order, operator: str = "system") -> Reply:
    """2007: give the order's locked or booked slot back."""
    body = {"lock_id": order.lock_id, "mrn": order.mrn}
    return deps.hospital.call(
        "2007", body, trace_id=order.trace_id, operator=operator, channel=order.entry
    )


def confirm_registration(deps: Deps, order: Order) -> Reply:
    """2008: the registration is paid; the HIS books it."""
    body = {
        "order_no": order.order_no,
        "lock_id": order.lock_id,
        "settlement": settlement_of(order),
    }
    return deps.hospital.call("2008", body, trace_id=order.trace_id, channel=order.entry)


def registration_status(deps: Deps, order: Order) -> Reply:
    """2010: where the HIS holds the order's registration (LOCKED, BOOKED, CONFIRMED...)."""
    return deps.hospital.call(
        "2010", {"order_no": order.order_no}, trace_id=order.trace_id, channel=order.entry
    )


def list_bills(deps: Deps, mrn: str, trace_id: str, channel: str = "APP") -> Reply:
    """3001: a record's unpaid bills and their bills_digest."""
    return deps.hospital.call("3001", {"mrn": mrn}, trace_id=trace_id, channel=channel)


def charge_bills(deps: Deps, order: Order) -> Reply:
    """3003: the listed bills are paid; the HIS charges them."""
    body = {
        "order_no": order.order_no,
        "mrn": order.mrn,
        "bill_nos": json.loads(order.bill_nos or "[]"),
        "bills_digest": order.bills_digest,
        "settlement": settlement_of(order),
    }
    return deps.hospital.call("3003", body, trace_id=order.trace_id, channel=order.entry)


def charge_status(deps: Deps, order: Order) -> Reply:
    """3005: whether the HIS charged the order's bills."""
    return deps.hospital.call(
        "3005", {"order_no": order.order_no}, trace_id=order.trace_id, channel=order.entry
    )


def presettle(deps: Deps, order: Order) -> Reply:
    """4004: insurance pre-settlement, the split before any money moves."""
    return deps.hospital.call(
        "4004",
        settle_body(order),
        trace_id=order.trace_id,
        operator=order.user_id,
        channel=order.entry,
    )


def settle(deps: Deps, order: Order) -> Reply:
    """4005: insurance settlement, once the cash part is in."""
    return deps.hospital.call(
        "4005", settle_body(order), trace_id=order.trace_id, channel=order.entry
    )


def reverse_settlement(deps: Deps, order: Order, reason: str) -> Reply:
    """4006: reverse the order's insurance settlement (idempotent on order_no)."""
    body = {"order_no": order.order_no, "reason": reason[:200]}
    return deps.hospital.call("4006", body, trace_id=order.trace_id, channel=order.entry)


def settlement_status(deps: Deps, order: Order) -> Reply:
    """4007: where insurance holds the order (SETTLED, REVERSED, PRESETTLED, NONE...)."""
    return deps.hospital.call(
        "4007", {"order_no": order.order_no}, trace_id=order.trace_id, channel=order.entry
    )
