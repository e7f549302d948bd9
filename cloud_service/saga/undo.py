"""The one way money goes back: an order is put on its undo path by the life-cycle table
(``begin``), its insurance settlement is reversed (4006, sent from here only) and its cash
part refunded by the original route. The saga's compensation, the clinic-stopped notice
(6002) and the reconciliation repairs all come through here.

A refund by the original route is made at most once: its out_refund_no derives from the
order_no, every attempt asks the channel for that refund before asking for one, and the
channel itself refunds once per out_refund_no."""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from cloud_service.channels.base import (
    ChannelOutcomeUnknown,
    ChannelRefund,
    ChannelRejected,
    ChannelUnavailable,
)
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order
from cloud_service.saga import calls
from cloud_service.saga.outbox import RetryLater, enqueue
from cloud_service.saga.states import LIFE_CYCLE, NEXT_STEP, State, Step
from cloud_service.saga.transitions import move
from envelope import codes
from envelope.messages.insurance import OrderAnswer, ReversalAnswer
from servicekit.db import transaction

log = logging.getLogger(__name__)

REFUND_SUFFIX = "R1"
REFUND_REASON = "医院退费"
# What 4007 answers once nothing is left settled at insurance for the order.
NOTHING_SETTLED = frozenset({"REVERSED", "NONE", "PRESETTLED"})


def out_refund_no_of(order_no: str) -> str:
    """The one refund number of an order, the same on every attempt."""
    return order_no + REFUND_SUFFIX


def target(order: Order) -> State | None:
    """Where the undo path takes the order from its state (the table's ``undo``), None when
    there is nothing to undo: a reversal only for an insurance settlement held, a refund
    only for cash paid."""
    to = LIFE_CYCLE[State(order.state)].undo
    if to is State.REVERSING and not (order.pay_mode == "INSURANCE" and order.setl_id):
        to = State.REFUNDING
    if to is State.REFUNDING and order.cash_fen <= 0:
        return None
    return to


def begin(session: Session, order: Order, reason: str) -> Order | None:
    """Put the order on its undo path in the caller's transaction, with the step that carries
    it on; return the moved order (None when nothing moved). An unpaid cashier is not closed
    blindly: its payment_deadline step runs now and asks the channel first."""
    to = target(order)
    if to is None:
        return None
    if to is State.CLOSED:
        enqueue(session, order.order_no, Step.PAYMENT_DEADLINE)
        return None
    note = reason[:500]
    log.error("order %s is undone (%s): %s", order.order_no, to, note)
    return move(
        session, order.order_no, order.state, to, note=note, failure=note, step=NEXT_STEP.get(to)
    )


def reverse_insurance(deps: Deps, order: Order, reason: str) -> str:
    """4006 (idempotent on order_no); when it fails, 4007 must say nothing is settled any
    more, else RetryLater. Returns the settlement reversed, as 4006 named it."""
    reply = calls.reverse_settlement(deps, order, reason)
    if reply.ok:
        return reply.answer(ReversalAnswer).setl_id or order.setl_id or ""
    status = calls.settlement_status(deps, order)
    if status.ok and status.answer(OrderAnswer).status in NOTHING_SETTLED:
        return str(order.setl_id or "")
    raise RetryLater(f"reversal not confirmed: {reply.result_code} {reply.result_msg}")


def refund_cash(deps: Deps, order: Order, amount_fen: int | None = None) -> ChannelRefund:
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
        raise RetryLater(f"refund of {order.order_no}: {exc}") from exc
    except ChannelRejected as exc:
        if exc.status == 429 or exc.status >= 500:
            raise RetryLater(f"refund of {order.order_no}: {exc}") from exc
        raise
    return refund


def reverse_step(deps: Deps, order: Order) -> None:
    """The "reverse" step: REVERSING -> REFUNDING (cash to pay back) or REFUNDED."""
    if order.state != State.REVERSING:
        return
    reverse_insurance(deps, order, order.failure or "hospital refused")
    log.info("order %s: insurance settlement reversed", order.order_no)
    with transaction(deps.sessions) as session:
        if order.cash_fen > 0:
            move(
                session,
                order.order_no,
                State.REVERSING,
                State.REFUNDING,
                step=Step.REFUND,
                note="insurance settlement reversed; refunding the cash part",
            )
        else:
            move(
                session,
                order.order_no,
                State.REVERSING,
                State.REFUNDED,
                note="insurance settlement reversed; nothing was paid in cash",
            )


def refund_step(deps: Deps, order: Order) -> None:
    """The "refund" step: pay the cash part back by its channel, then REFUNDING -> REFUNDED."""
    if order.state != State.REFUNDING:
        return
    if order.cash_fen <= 0 or order.channel == "NONE" or order.out_trade_no is None:
        _refunded(deps, order.order_no, "nothing was paid by a channel: nothing to refund")
        return
    try:
        refund = refund_cash(deps, order)
    except ChannelRejected as exc:
        _needs_person(deps, order.order_no, f"channel refused the refund: {exc.code}")
        return
    if refund.status == "PROCESSING":
        raise RetryLater(f"refund {refund.out_refund_no} is still processing")
    if not refund.done:
        _needs_person(deps, order.order_no, f"channel refund {refund.status}")
        return
    if refund.amount_fen != order.cash_fen:
        _needs_person(deps, order.order_no, f"channel refunded {refund.amount_fen} fen")
        return
    _refunded(
        deps,
        order.order_no,
        f"{order.channel} refunded {refund.amount_fen} fen by the original route "
        f"({refund.out_refund_no} {refund.refund_id})".rstrip(),
    )


def _needs_person(deps: Deps, order_no: str, reason: str) -> None:
    """Leave the order REFUNDING with the reason, for the operations console."""
    log.error("order %s refund needs a person: %s", order_no, reason)
    with transaction(deps.sessions) as session:
        session.execute(update(Order).where(Order.order_no == order_no).values(failure=reason))


def _refunded(deps: Deps, order_no: str, note: str) -> None:
    try:
        with transaction(deps.sessions) as session:
            move(session, order_no, State.REFUNDING, State.REFUNDED, note=note)
    except CloudError as exc:
        if exc.result_code != codes.ORDER_STATE_CONFLICT:
            raise
        log.info("order %s was already moved on from REFUNDING", order_no)
