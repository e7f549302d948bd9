"""The system-driven half of the saga: each outbox step, idempotent on order_no.

A step that timed out queries before it acts again (2010, 4007, the channel's query); it
never retries blindly and never assumes failure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from cloud_service import saga
from cloud_service.channels.base import ChannelError, TradeNotFound
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order
from cloud_service.payment import PaidTrade, record_payment
from cloud_service.refunds import refund_after_clinic_stopped, refund_order
from cloud_service.reversal import reverse_settlement
from cloud_service.saga import RetryLater
from cloud_service.split import check_split
from envelope import Reply, clock, codes
from servicekit.db import transaction

log = logging.getLogger(__name__)


def _load(deps: Deps, order_no: str) -> Order:
    with deps.sessions() as session:
        order = session.get(Order, order_no)
    assert order is not None, order_no
    return order


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


def settle(deps: Deps, order: Order) -> None:
    """Insurance settle (4005) after the cash part is in; on a lost reply, ask 4007."""
    if order.state not in (saga.PAID, saga.PRESETTLED) or order.pay_mode != "INSURANCE":
        return
    reply = deps.hospital.call(
        "4005", settle_body(order), trace_id=order.trace_id, channel=order.entry
    )
    # 2014: another request holds the order at insurance_frontend; its outcome is unknown too
    unknown = reply.result_code.startswith("3") or reply.result_code == codes.ORDER_STATE_CONFLICT
    if reply.outcome_unknown or unknown:
        reply = _settled_per_query(deps, order)
    if not reply.ok:
        _compensate(deps, order, f"insurance refused: {reply.result_code} {reply.result_msg}")
        return
    split = check_split(reply.body.get("split") or {}, order.total_fen)
    if split["psn_cash_pay"] != order.cash_fen:
        _compensate(deps, order, "settled cash part differs from what the patient paid")
        return
    with transaction(deps.sessions) as session:
        saga.move(
            session,
            order.order_no,
            order.state,
            saga.INSURANCE_SETTLED,
            note=f"insurance settled {reply.body.get('setl_id')}",
            setl_id=str(reply.body.get("setl_id")),
            split_json=json.dumps(split),
            step="confirm",
        )


def _settled_per_query(deps: Deps, order: Order) -> Reply:
    status = deps.hospital.call(
        "4007", {"order_no": order.order_no}, trace_id=order.trace_id, channel=order.entry
    )
    if status.ok and status.body.get("status") == "SETTLED":
        return status
    raise RetryLater(f"settle outcome unknown ({status.result_code} {status.body.get('status')})")


def confirm(deps: Deps, order: Order) -> None:
    """Tell the HIS what was paid: 2008 for a registration, 3003 for bills; a lost reply is
    asked again with 2010 or 3005."""
    if order.state not in (saga.PAID, saga.INSURANCE_SETTLED):
        return
    if order.kind == "CHARGE":
        body = {
            "order_no": order.order_no,
            "mrn": order.mrn,
            "bill_nos": json.loads(order.bill_nos or "[]"),
            "bills_digest": order.bills_digest,
            "settlement": settlement_of(order),
        }
        reply = deps.hospital.call("3003", body, trace_id=order.trace_id, channel=order.entry)
        if reply.outcome_unknown or reply.result_code.startswith("3"):
            reply = _charged_per_query(deps, order)
        _record_confirm(deps, order, reply, ("receipt_no", "invoice_no"), "bills charged")
        return
    body = {
        "order_no": order.order_no,
        "lock_id": order.lock_id,
        "settlement": settlement_of(order),
    }
    reply = deps.hospital.call("2008", body, trace_id=order.trace_id, channel=order.entry)
    if reply.outcome_unknown or reply.result_code.startswith("3"):
        reply = _confirmed_per_query(deps, order)
    keys = ("reg_no", "visit_no", "queue_no", "location")
    _record_confirm(deps, order, reply, keys, "registration confirmed")


def _record_confirm(
    deps: Deps, order: Order, reply: Reply, keys: tuple[str, ...], what: str
) -> None:
    if not reply.ok:
        _compensate(deps, order, f"hospital refused: {reply.result_code} {reply.result_msg}")
        return
    keep = {k: reply.body.get(k) for k in keys}
    with transaction(deps.sessions) as session:
        saga.move(
            session,
            order.order_no,
            order.state,
            saga.CONFIRMED,
            note=f"{what} {keep[keys[0]]}",
            result_json=json.dumps(keep, ensure_ascii=False),
        )


def _charged_per_query(deps: Deps, order: Order) -> Reply:
    status = deps.hospital.call(
        "3005", {"order_no": order.order_no}, trace_id=order.trace_id, channel=order.entry
    )
    if status.ok and status.body.get("status") == "PAID":
        return status
    raise RetryLater(f"charge outcome unknown ({status.result_code} {status.body.get('status')})")


def _confirmed_per_query(deps: Deps, order: Order) -> Reply:
    status = deps.hospital.call(
        "2010", {"order_no": order.order_no}, trace_id=order.trace_id, channel=order.entry
    )
    if status.ok and status.body.get("status") == "CONFIRMED":
        return status
    raise RetryLater(f"confirm outcome unknown ({status.result_code} {status.body.get('status')})")


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


def payment_deadline(deps: Deps, order: Order) -> None:
    """At the deadline, ask the channel: paid means PAID (a lost notification); unpaid
    means close the channel order, then CLOSED."""
    if order.state != saga.AWAITING_PAYMENT or order.out_trade_no is None:
        return
    channel = deps.channels[order.channel]
    try:
        trade = channel.query(order.out_trade_no)
    except TradeNotFound:
        trade = None  # the channel order was never placed: nothing was paid, nothing to close
    if trade is not None and trade.state == "SUCCESS":
        record_payment(
            deps,
            PaidTrade(
                order.channel, order.out_trade_no, trade.amount_fen, trade.transaction_id or ""
            ),
        )
        return
    if trade is not None:
        channel.close(order.out_trade_no)
    release_lock(deps, order)
    with transaction(deps.sessions) as session:
        saga.move(
            session,
            order.order_no,
            saga.AWAITING_PAYMENT,
            saga.CLOSED,
            note="payment deadline passed; channel order closed, slot released",
        )


# What 2007 answers when the HIS holds the slot no more: released now or before (0000), a
# lock it never knew (2008) or one that lapsed (2003). Any other answer may leave it held.
LOCK_GONE = frozenset({codes.SUCCESS, codes.RECORD_NOT_FOUND, codes.LOCK_EXPIRED})


def release_lock(deps: Deps, order: Order) -> None:
    """Give an unpaid registration's slot back (2007); a lock already gone is fine, and
    anything else is tried again: the order is not closed while the HIS may hold its slot."""
    if order.kind != "REG" or not order.lock_id:
        return
    body = {"lock_id": order.lock_id, "mrn": order.mrn}
    reply = deps.hospital.call("2007", body, trace_id=order.trace_id, channel=order.entry)
    if reply.result_code == codes.PAST_CUTOFF and order.visit_date:
        # The HIS cancels a booking only until its clinic opens and then keeps it as a
        # no-show: once the visit day is over, that holds nothing anyone could use.
        day_over = _end_of_day(order.visit_date)
        if clock.now() >= day_over:
            log.info("order %s: booking past its cut-off left to lapse", order.order_no)
            return
        raise RetryLater(f"booking kept until its day is over: {reply.result_msg}", day_over)
    if reply.result_code not in LOCK_GONE:
        raise RetryLater(f"slot not released ({reply.result_code} {reply.result_msg})")
    if deps.slot_gate is not None:
        deps.slot_gate.give_back(order.schedule_id)


def _end_of_day(day: str) -> datetime:
    """Midnight after a day (yyyy-mm-dd) in Asia/Shanghai."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), clock.SHANGHAI)


def expiry(deps: Deps, order: Order) -> datetime:
    """When an unpaid order holding a slot is given up. A booking for a later day may be
    paid on its visit day only (ordering.start_payment), so it lasts until that day is
    over; a lock for today lasts the payment window."""
    booked_on = order.created_at.astimezone(clock.SHANGHAI).date()
    if order.visit_date and order.visit_date > booked_on.isoformat():  # both yyyy-mm-dd
        return _end_of_day(order.visit_date)
    return order.created_at + deps.payment_window


def expire_unpaid(deps: Deps, order: Order) -> None:
    """Recovery of an order a crash left before its cashier opened (CREATED with a lock,
    PRESETTLED; no channel order exists before AWAITING_PAYMENT): once it expires, cancel it
    and release the slot. Until then the step waits, pending."""
    if order.state == saga.PRESETTLED and order.cash_fen == 0:
        settle(deps, order)
        return
    if order.state not in (saga.CREATED, saga.PRESETTLED):
        return
    due = expiry(deps, order)
    if clock.now() < due:
        raise RetryLater(f"unpaid order expires at {clock.iso(due)}", not_before=due)
    release_lock(deps, order)
    with transaction(deps.sessions) as session:
        saga.move(
            session,
            order.order_no,
            order.state,
            saga.CANCELLED,
            note="never paid in time; slot released",
        )


def lock_query(deps: Deps, order: Order) -> None:
    """After a lost 2006 reply: learn from 2010 whether the slot was taken for us."""
    if order.state != saga.CREATED or order.lock_id:
        return
    status = deps.hospital.call(
        "2010", {"order_no": order.order_no}, trace_id=order.trace_id, channel=order.entry
    )
    if not status.ok:
        raise RetryLater(f"lock outcome unknown ({status.result_code})")
    if status.body.get("status") in ("LOCKED", "BOOKED"):
        from cloud_service.ordering import _store_lock

        # the "expire" step in the lock's own commit: were they apart, a crash in between
        # would leave the order with this step done, which recovery takes as "left as is"
        _store_lock(deps, order.order_no, status.body, expire=True)
        return
    with transaction(deps.sessions) as session:
        saga.move(
            session,
            order.order_no,
            saga.CREATED,
            saga.CANCELLED,
            note="the hospital holds no slot for this order",
        )


def _compensate(deps: Deps, order: Order, reason: str) -> None:
    """Money or insurance already moved and the hospital side cannot complete: undo by rule."""
    log.error("order %s needs compensation: %s", order.order_no, reason)
    with transaction(deps.sessions) as session:
        if order.state == saga.PRESETTLED:
            saga.move(
                session, order.order_no, order.state, saga.CANCELLED, note=reason, failure=reason
            )
        elif order.state == saga.INSURANCE_SETTLED:
            saga.move(
                session,
                order.order_no,
                order.state,
                saga.REVERSING,
                note=reason,
                failure=reason,
                step="reverse",
            )
        else:
            saga.move(
                session,
                order.order_no,
                order.state,
                saga.REFUNDING,
                note=reason,
                failure=reason,
                step="refund",
            )


STEPS: dict[str, Callable[[Deps, Order], None]] = {
    "settle": settle,
    "confirm": confirm,
    "payment_deadline": payment_deadline,
    "lock_query": lock_query,
    "reverse": reverse_settlement,
    "refund": refund_order,
    "expire": expire_unpaid,
    "stopped_refund": refund_after_clinic_stopped,
}


__all__ = ["STEPS", "RetryLater", "run_step", "settle_body", "settlement_of"]


def run_step(deps: Deps, step: str, order_no: str) -> None:
    """Run one outbox step for an order; RetryLater or CloudError leave it for later."""
    handler = STEPS.get(step)
    if handler is None:
        raise RetryLater(f"step {step} needs a person (no automatic handler)")
    try:
        handler(deps, _load(deps, order_no))
    except ChannelError as exc:  # unavailable or outcome unknown: never a failed payment
        raise RetryLater(f"channel: {exc}") from exc
    except CloudError as exc:
        if exc.result_code == codes.ORDER_STATE_CONFLICT:
            return  # another worker moved the order on; nothing left to do here
        raise RetryLater(str(exc)) from exc
