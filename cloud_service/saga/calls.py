"""Every hospital call of the order life cycle, one small function per trade code, each
under the order's own trace id and entry channel (DESIGN §3): a typed request, and a reply
whose 0000 answer fitted its model (``reply.answer(Model)`` reads it) or is 3003."""

from __future__ import annotations

import json
from typing import Any

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.hospital import ask
from cloud_service.models import Order
from envelope import Reply, codes
from envelope.messages import Request
from envelope.messages.his import (
    ConfirmCharge,
    ConfirmRegistration,
    LockSlot,
    QueryCharge,
    QueryRegistration,
    SlotDetail,
    UnlockSlot,
    UnpaidBills,
)
from envelope.messages.insurance import (
    Presettle,
    QuerySettlement,
    ReverseSettlement,
    Settle,
)


def settle_request(order: Order, model: type[Presettle] = Presettle) -> Presettle:
    """The request of 4004 (or 4005 with ``Settle``): the order's lock (REG) or its listed
    bills (CHARGE)."""
    if order.kind == "CHARGE":
        return model(
            order_no=order.order_no,
            mrn=order.mrn,
            kind="CHARGE",
            acct_used=True,
            bill_nos=json.loads(order.bill_nos or "[]"),
            bills_digest=order.bills_digest,
        )
    return model(
        order_no=order.order_no, mrn=order.mrn, kind="REG", acct_used=True, lock_id=order.lock_id
    )


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


def _held(value: str | None, what: str) -> str:
    """A field the order must have by now (its lock, its bills' digest), or 2014."""
    if not value:
        raise CloudError(codes.ORDER_STATE_CONFLICT, f"订单尚无{what}，无法办理")
    return value


def _ask(deps: Deps, request: Request, order: Order, operator: str = "system") -> Reply:
    return ask(
        deps.hospital, request, trace_id=order.trace_id, operator=operator, channel=order.entry
    )


def remaining_slots(deps: Deps, schedule_id: str, trace_id: str) -> Reply:
    """2005: a clinic's slots and how many remain, asked live."""
    return ask(deps.hospital, SlotDetail(schedule_id=schedule_id), trace_id=trace_id)


def lock_slot(deps: Deps, order: Order, slot_id: str | None) -> Reply:
    """2006: lock (today) or book (a later day) the order's slot."""
    request = LockSlot(
        schedule_id=_held(order.schedule_id, "号源"),
        mrn=order.mrn,
        order_no=order.order_no,
        slot_id=slot_id,
    )
    return _ask(deps, request, order, operator=order.user_id)


def release_slot(deps: Deps, order: Order, operator: str = "system") -> Reply:
    """2007: give the order's locked or booked slot back."""
    return _ask(
        deps, UnlockSlot(lock_id=_held(order.lock_id, "锁号"), mrn=order.mrn), order, operator
    )


def confirm_registration(deps: Deps, order: Order) -> Reply:
    """2008: the registration is paid; the HIS books it."""
    request = ConfirmRegistration(
        order_no=order.order_no,
        lock_id=_held(order.lock_id, "锁号"),
        settlement=settlement_of(order),
    )
    return _ask(deps, request, order)


def registration_status(deps: Deps, order: Order) -> Reply:
    """2010: where the HIS holds the order's registration (LOCKED, BOOKED, CONFIRMED...)."""
    return _ask(deps, QueryRegistration(order_no=order.order_no), order)


def list_bills(deps: Deps, mrn: str, trace_id: str, channel: str = "APP") -> Reply:
    """3001: a record's unpaid bills and their bills_digest."""
    return ask(deps.hospital, UnpaidBills(mrn=mrn), trace_id=trace_id, channel=channel)


def charge_bills(deps: Deps, order: Order) -> Reply:
    """3003: the listed bills are paid; the HIS charges them."""
    request = ConfirmCharge(
        order_no=order.order_no,
        mrn=order.mrn,
        bill_nos=json.loads(order.bill_nos or "[]"),
        bills_digest=_held(order.bills_digest, "账单摘要"),
        settlement=settlement_of(order),
    )
    return _ask(deps, request, order)


def charge_status(deps: Deps, order: Order) -> Reply:
    """3005: whether the HIS charged the order's bills."""
    return _ask(deps, QueryCharge(order_no=order.order_no), order)


def presettle(deps: Deps, order: Order) -> Reply:
    """4004: insurance pre-settlement, the split before any money moves."""
    return _ask(deps, settle_request(order), order, operator=order.user_id)


def settle(deps: Deps, order: Order) -> Reply:
    """4005: insurance settlement, once the cash part is in."""
    return _ask(deps, settle_request(order, Settle), order)


def reverse_settlement(deps: Deps, order: Order, reason: str) -> Reply:
    """4006: reverse the order's insurance settlement (idempotent on order_no)."""
    return _ask(deps, ReverseSettlement(order_no=order.order_no, reason=reason[:200]), order)


def settlement_status(deps: Deps, order: Order) -> Reply:
    """4007: where insurance holds the order (SETTLED, REVERSED, PRESETTLED, NONE...)."""
    return _ask(deps, QuerySettlement(order_no=order.order_no), order)
