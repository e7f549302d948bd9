"""Money going back: refunds by the original route (the "refund" outbox step) and refunds
the hospital made at its window (notice 6003), each recorded once.

A refund by the original route is made at most once: its out_refund_no derives from the
order_no, every attempt asks the channel for that refund before asking for one, and the
channel itself refunds once per out_refund_no."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

# steps is imported as a module (not its names) so that steps may import this module back.
from cloud_service import saga
from cloud_service.channels.base import (
    ChannelOutcomeUnknown,
    ChannelRefund,
    ChannelRejected,
    ChannelUnavailable,
)
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order, WindowRefund
from envelope import clock, codes
from servicekit.db import transaction

log = logging.getLogger(__name__)

REFUND_SUFFIX = "R1"
REFUND_REASON = "医院退费"
# Fields of a 6003 notice that may name the patient: never copied into the order's history.
PERSONAL_FIELDS = frozenset({"name", "patient_name", "psn_name", "id_card_no", "certno", "phone"})


def out_refund_no_of(order_no: str) -> str:
    """The one refund number of an order, the same on every attempt."""
    return order_no + REFUND_SUFFIX


def channel_refund(deps: Deps, order: Order, amount_fen: int | None = None) -> ChannelRefund:
    """Query first, refund only when the channel has no refund under our number; the whole
    cash part unless ``amount_fen`` says otherwise. RetryLater when the outcome is unknown."""
    channel = deps.channels[order.channel]
    assert order.out_trade_no is not None
    out_refund_no = out_refund_no_of(order.order_no)
    amount = order.cash_fen if amount_fen is None else amount_fen
    try:
        refund = channel.find_refund(order.out_trade_no, out_refund_no)
        if refund is None:
            refund = channel.make_refund(
                order.out_trade_no, out_refund_no, amount, amount, REFUND_REASON
            )
    except (ChannelUnavailable, ChannelOutcomeUnknown) as exc:
        raise saga.RetryLater(f"refund of {order.order_no}: {exc}") from exc
    except ChannelRejected as exc:
        if exc.status == 429 or exc.status >= 500:
            raise saga.RetryLater(f"refund of {order.order_no}: {exc}") from exc
        raise
    return refund


def _needs_person(deps: Deps, order_no: str, reason: str) -> None:
    """Leave the order REFUNDING with the reason, for the operations console."""
    log.error("order %s refund needs a person: %s", order_no, reason)
    with transaction(deps.sessions) as session:
        session.execute(update(Order).where(Order.order_no == order_no).values(failure=reason))


def refund_order(deps: Deps, order: Order) -> None:
    """The "refund" step: pay the cash part back by its channel, then REFUNDING -> REFUNDED."""
    if order.state != saga.REFUNDING:
        return
    if order.cash_fen <= 0 or order.channel == "NONE" or order.out_trade_no is None:
        _finish(deps, order.order_no, "nothing was paid by a channel: nothing to refund")
        return
    try:
        refund = channel_refund(deps, order)
    except ChannelRejected as exc:
        _needs_person(deps, order.order_no, f"channel refused the refund: {exc.code}")
        return
    if refund.status == "PROCESSING":
        raise saga.RetryLater(f"refund {refund.out_refund_no} is still processing")
    if not refund.done:
        _needs_person(deps, order.order_no, f"channel refund {refund.status}")
        return
    if refund.amount_fen != order.cash_fen:
        _needs_person(deps, order.order_no, f"channel refunded {refund.amount_fen} fen")
        return
    _finish(
        deps,
        order.order_no,
        f"{order.channel} refunded {refund.amount_fen} fen by the original route "
        f"({refund.out_refund_no} {refund.refund_id})".rstrip(),
    )


def _finish(deps: Deps, order_no: str, note: str) -> None:
    try:
        with transaction(deps.sessions) as session:
            saga.move(session, order_no, saga.REFUNDING, saga.REFUNDED, note=note)
    except CloudError as exc:
        if exc.result_code != codes.ORDER_STATE_CONFLICT:
            raise
        log.info("order %s was already moved on from REFUNDING", order_no)


WINDOW_REFUND_NO = "WINDOW"  # a window refund that names no receipt: one per order
REFUNDABLE = frozenset({saga.CONFIRMED, saga.PARTIALLY_REFUNDED})


class DuplicateRefund(CloudError):
    """This window refund (order and refund number) is recorded already."""

    def __init__(self) -> None:
        super().__init__(codes.ORDER_STATE_CONFLICT, "这笔窗口退费已登记过，不能重复登记")


def _window_note(facts: dict[str, Any]) -> str:
    kept = {
        k: v
        for k, v in sorted(facts.items())
        if k != "order_no" and k not in PERSONAL_FIELDS and isinstance(v, str | int | bool)
    }
    return "refunded offline at the window " + json.dumps(kept, ensure_ascii=False)[:1500]


def _refund_fen(facts: dict[str, Any]) -> int | None:
    """The amount a window refund names (None: all that is left), or 1009."""
    amount = facts.get("refund_fen")
    if amount is None:
        return None
    if type(amount) is not int or amount <= 0:
        raise CloudError(codes.BODY_INVALID, "退费金额须为正整数（分）")
    return amount


def record_window_refund(
    deps: Deps, order_no: str, facts: dict[str, Any], *, source: str, recorded_by: str
) -> str:
    """Record a refund the hospital made at its window (a console entry or notice 6003) once,
    and answer the order's new state: REFUNDED when nothing is left, else PARTIALLY_REFUNDED.

    ``facts``: refund_no (one unnamed refund per order when absent), refund_fen (all that is
    left when absent), and whatever else the window said (kept in the history, personal
    fields dropped). Raises 2008 for an unknown order, DuplicateRefund (2014) for a refund
    number recorded already with the same amount, 2007 for one recorded with another amount,
    2014 for an order that cannot be refunded, 2006 for more than
    is left refundable. The refund row and the guarded update on the refunded amount are one
    transaction, so two identical requests at the same instant cannot both pass."""
    refund_no = str(facts.get("refund_no") or WINDOW_REFUND_NO)[:40]
    asked = _refund_fen(facts)
    for _ in range(3):  # again when another writer moved the order meanwhile
        with deps.sessions() as session:
            order = session.get(Order, order_no)
            known = session.get(WindowRefund, (order_no, refund_no))
        if order is None:
            raise CloudError(codes.RECORD_NOT_FOUND, "没有这个订单")
        if known is not None:
            if asked is not None and asked != known.amount_fen:  # not a retry: a conflict
                raise CloudError(
                    codes.DUPLICATE_ORDER,
                    f"退费单号 {refund_no} 已登记 {known.amount_fen} 分，与本次金额不符",
                )
            raise DuplicateRefund()
        if order.state not in REFUNDABLE:
            raise CloudError(codes.ORDER_STATE_CONFLICT, _not_refundable(order.state))
        left = order.total_fen - order.refunded_fen
        amount = left if asked is None else asked
        if amount > left or amount <= 0:
            raise CloudError(
                codes.AMOUNT_MISMATCH, f"退费金额超过可退金额（可退 {left} 分，申请 {amount} 分）"
            )
        new = saga.REFUNDED if amount == left else saga.PARTIALLY_REFUNDED
        try:
            with transaction(deps.sessions) as session:
                session.add(
                    WindowRefund(
                        order_no=order_no,
                        refund_no=refund_no,
                        amount_fen=amount,
                        source=source,
                        recorded_by=recorded_by[:64],
                        at=clock.now(),
                    )
                )
                session.flush()
                saga.move(
                    session,
                    order_no,
                    order.state,
                    new,
                    note=_window_note({**facts, "refund_no": refund_no, "refund_fen": amount}),
                    guard=(Order.refunded_fen == order.refunded_fen,),
                    refunded_fen=order.refunded_fen + amount,
                )
        except IntegrityError as exc:
            raise DuplicateRefund() from exc
        except CloudError as exc:
            if exc.result_code != codes.ORDER_STATE_CONFLICT:
                raise
            continue
        log.info("order %s: %s fen refunded at the window, now %s", order_no, amount, new)
        return new
    raise CloudError(codes.ORDER_STATE_CONFLICT, "订单正被其他操作修改，请稍后再试")


def _not_refundable(state: str) -> str:
    if state == saga.REFUNDED:
        return "该订单已全部退费，没有可退金额"
    return "该订单尚未完成支付，不能登记窗口退费"


def _undo_confirmed(session: Any, order: Order, reason: str) -> None:
    """A confirmed order whose clinic stopped: reverse the insurance part, or refund the cash."""
    note = f"clinic stopped: {reason}"[:500]
    if order.pay_mode == "INSURANCE" and order.setl_id:
        saga.move(session, order.order_no, saga.CONFIRMED, saga.REVERSING, note=note,
                  failure=note, step="reverse")  # fmt: skip
    elif order.cash_fen > 0:
        saga.move(session, order.order_no, saga.CONFIRMED, saga.REFUNDING, note=note,
                  failure=note, step="refund")  # fmt: skip


def refund_stopped_clinic(deps: Deps, schedule_id: str, reason: str) -> int:
    """The 6002 hook: every paid order of a stopped clinic goes back by its original route;
    unpaid ones are closed. Returns how many orders were put on the refund path."""
    with deps.sessions() as session:
        found = session.scalars(
            select(Order).where(Order.schedule_id == schedule_id, Order.kind == "REG")
        ).all()
    affected = 0
    for order in found:
        try:
            with transaction(deps.sessions) as session:
                affected += _stop_one(session, order, reason)
        except CloudError as exc:  # moved meanwhile: its follow-up step re-checks it
            if exc.result_code != codes.ORDER_STATE_CONFLICT:
                raise
            with transaction(deps.sessions) as session:
                saga.enqueue(session, order.order_no, "stopped_refund", clock.now())
    log.info("clinic %s stopped: %d paid orders put on the refund path", schedule_id, affected)
    return affected


def _stop_one(session: Any, order: Order, reason: str) -> int:
    if order.state == saga.CONFIRMED:
        _undo_confirmed(session, order, reason)
        return 1
    if order.state in (saga.PAID, saga.INSURANCE_SETTLED):
        saga.enqueue(session, order.order_no, "stopped_refund", clock.now())
        return 1
    if order.state in (saga.CREATED, saga.PRESETTLED):
        saga.move(session, order.order_no, order.state, saga.CANCELLED,
                  note=f"clinic stopped: {reason}"[:500])  # fmt: skip
    elif order.state == saga.AWAITING_PAYMENT:
        saga.enqueue(session, order.order_no, "payment_deadline", clock.now())
        saga.enqueue(session, order.order_no, "stopped_refund", clock.now())
    return 0


def refund_after_clinic_stopped(deps: Deps, order: Order) -> None:
    """The "stopped_refund" step: once an in-flight order of a stopped clinic is confirmed,
    undo it; while it is still moving, come back later."""
    if order.state in (saga.PAID, saga.INSURANCE_SETTLED, saga.AWAITING_PAYMENT):
        raise saga.RetryLater("the order is still moving; undo it once it is confirmed")
    if order.state != saga.CONFIRMED:
        return
    with transaction(deps.sessions) as session:
        _undo_confirmed(session, order, "clinic stopped")
