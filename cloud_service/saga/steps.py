"""The system-driven half of the saga: each outbox step, idempotent on order_no.

A step that timed out queries before it acts again (2010, 3005, 4007, the channel's query);
it never retries blindly and never assumes failure. A step that finds the hospital side
cannot complete hands the order to the undo path (saga.undo).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from cloud_service.channels.base import ChannelError, TradeNotFound
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order
from cloud_service.saga import calls, clinic_stopped, undo
from cloud_service.saga.lock import expiry, release_lock, store_lock
from cloud_service.saga.orders import follow_order
from cloud_service.saga.outbox import RetryLater
from cloud_service.saga.payments import PaidTrade, record_payment
from cloud_service.saga.states import State, Step
from cloud_service.saga.transitions import move
from cloud_service.split import check_split
from envelope import Reply, clock, codes
from envelope.messages.his_answers import (
    ChargeAnswer,
    ChargeQueryAnswer,
    RegistrationAnswer,
    RegistrationQueryAnswer,
)
from envelope.messages.insurance import OrderAnswer
from servicekit.db import transaction


def settle(deps: Deps, order: Order) -> None:
    """Insurance settle (4005) after the cash part is in; on a lost reply (or one outside
    the contract, 3003 too), ask 4007."""
    if order.state not in (State.PAID, State.PRESETTLED) or order.pay_mode != "INSURANCE":
        return
    reply = calls.settle(deps, order)
    # 2014: another request holds the order at insurance_frontend; its outcome is unknown too
    unknown = reply.result_code.startswith("3") or reply.result_code == codes.ORDER_STATE_CONFLICT
    if reply.outcome_unknown or unknown:
        reply = _asked_again(calls.settlement_status(deps, order), OrderAnswer, "SETTLED", "settle")
    if not reply.ok:
        _compensate(deps, order, f"insurance refused: {reply.result_code} {reply.result_msg}")
        return
    settled = reply.answer(OrderAnswer)
    if settled.status != "SETTLED" or settled.split is None:
        raise RetryLater(f"settle answered {settled.status}; asked again later")
    split = check_split(settled.split.model_dump(), order.total_fen)
    if split["psn_cash_pay"] != order.cash_fen:
        _compensate(deps, order, "settled cash part differs from what the patient paid")
        return
    with transaction(deps.sessions) as session:
        move(
            session,
            order.order_no,
            order.state,
            State.INSURANCE_SETTLED,
            note=f"insurance settled {settled.setl_id}",
            setl_id=settled.setl_id,
            split_json=json.dumps(split),
            step=Step.CONFIRM,
        )


StatusAnswer = OrderAnswer | ChargeQueryAnswer | RegistrationQueryAnswer


def _asked_again(status: Reply, model: type[StatusAnswer], done: str, what: str) -> Reply:
    """The answer of a status query (2010, 3005, 4007) after a lost reply: ``done`` means
    the call went through; anything else leaves the step to run again."""
    state = _status_of(status, model)
    if state == done:
        return status
    raise RetryLater(f"{what} outcome unknown ({status.result_code} {state})")


def _status_of(reply: Reply, model: type[StatusAnswer]) -> str | None:
    """The ``status`` a 0000 status answer names (its model has one), else None."""
    return str(reply.answer(model).status) if reply.ok else None


def confirm(deps: Deps, order: Order) -> None:
    """Tell the HIS what was paid: 2008 for a registration, 3003 for bills; a lost reply is
    asked again with 2010 or 3005."""
    if order.state not in (State.PAID, State.INSURANCE_SETTLED):
        return
    if order.kind == "CHARGE":
        reply = calls.charge_bills(deps, order)
        if reply.outcome_unknown or reply.result_code.startswith("3"):
            reply = _asked_again(
                calls.charge_status(deps, order), ChargeQueryAnswer, "PAID", "charge"
            )
        _record_confirm(
            deps, order, reply, ChargeAnswer, ("receipt_no", "invoice_no"), "bills charged"
        )
        return
    reply = calls.confirm_registration(deps, order)
    if reply.outcome_unknown or reply.result_code.startswith("3"):
        query = calls.registration_status(deps, order)
        reply = _asked_again(query, RegistrationQueryAnswer, "CONFIRMED", "confirm")
    keys = ("reg_no", "visit_no", "queue_no", "location")
    _record_confirm(deps, order, reply, RegistrationAnswer, keys, "registration confirmed")


def _record_confirm(
    deps: Deps,
    order: Order,
    reply: Reply,
    model: type[RegistrationAnswer | ChargeAnswer],
    keys: tuple[str, ...],
    what: str,
) -> None:
    if not reply.ok:
        _compensate(deps, order, f"hospital refused: {reply.result_code} {reply.result_msg}")
        return
    # a status query's answer was checked as the confirm's when it was read (2010, 3005)
    done = reply.answer(model)
    keep = {key: getattr(done, key) for key in keys}
    with transaction(deps.sessions) as session:
        move(
            session,
            order.order_no,
            order.state,
            State.CONFIRMED,
            note=f"{what} {keep[keys[0]]}",
            result_json=json.dumps(keep, ensure_ascii=False),
        )


def payment_deadline(deps: Deps, order: Order) -> None:
    """At the deadline, ask the channel: paid means PAID (a lost notification); unpaid
    means close the channel order, then CLOSED."""
    if order.state != State.AWAITING_PAYMENT or order.out_trade_no is None:
        return
    channel = deps.channels[order.channel]
    try:
        trade = channel.query(order.out_trade_no)
    except TradeNotFound:
        trade = None  # the channel order was never placed: nothing was paid, nothing to close
    if trade is not None and trade.state == "SUCCESS":
        paid = PaidTrade(
            order.channel, order.out_trade_no, trade.amount_fen, trade.transaction_id or ""
        )
        record_payment(deps, paid)
        return
    if trade is not None:
        channel.close(order.out_trade_no)
    release_lock(deps, order)
    with transaction(deps.sessions) as session:
        move(
            session,
            order.order_no,
            State.AWAITING_PAYMENT,
            State.CLOSED,
            note="payment deadline passed; channel order closed, slot released",
        )


def expire_unpaid(deps: Deps, order: Order) -> None:
    """The "expire" step of an order holding a slot before its cashier opened (CREATED with
    a lock, PRESETTLED; no channel order exists before AWAITING_PAYMENT): once it expires,
    cancel it and release the slot. Until then the step waits, pending. Once the order has
    moved on, the step has nothing to do."""
    if order.state == State.PRESETTLED and order.cash_fen == 0:
        settle(deps, order)  # recovery of a zero-cash order whose settle step was lost
        return
    if order.state not in (State.CREATED, State.PRESETTLED):
        return
    due = expiry(deps, order)
    if clock.now() < due:
        raise RetryLater(f"unpaid order expires at {clock.iso(due)}", not_before=due)
    release_lock(deps, order)
    with transaction(deps.sessions) as session:
        move(
            session,
            order.order_no,
            order.state,
            State.CANCELLED,
            note="never paid in time; slot released",
        )


def lock_query(deps: Deps, order: Order) -> None:
    """After a lost 2006 reply: learn from 2010 whether the slot was taken for us."""
    if order.state != State.CREATED or order.lock_id:
        return
    status = calls.registration_status(deps, order)
    if not status.ok:
        raise RetryLater(f"lock outcome unknown ({status.result_code})")
    if _status_of(status, RegistrationQueryAnswer) in ("LOCKED", "BOOKED"):
        store_lock(deps, order.order_no, status.answer(RegistrationAnswer))
        return
    with transaction(deps.sessions) as session:
        move(
            session,
            order.order_no,
            State.CREATED,
            State.CANCELLED,
            note="the hospital holds no slot for this order",
        )


def _compensate(deps: Deps, order: Order, reason: str) -> None:
    """Money or insurance already moved and the hospital side cannot complete: undo by rule."""
    with transaction(deps.sessions) as session:
        undo.begin(session, order, reason)


STEPS: dict[Step, Callable[[Deps, Order], None]] = {
    Step.LOCK_QUERY: lock_query,
    Step.EXPIRE: expire_unpaid,
    Step.PAYMENT_DEADLINE: payment_deadline,
    Step.SETTLE: settle,
    Step.CONFIRM: confirm,
    Step.REVERSE: undo.reverse_step,
    Step.REFUND: undo.refund_step,
    Step.STOPPED_REFUND: clinic_stopped.undo_once_confirmed,
}


def run_step(deps: Deps, step: str, order_no: str) -> None:
    """Run one outbox step for an order; RetryLater or CloudError leave it for later."""
    with deps.sessions() as session:
        order = session.get(Order, order_no)
    assert order is not None, order_no
    follow_order(order)  # the step's log lines and calls carry the order's trace id
    handler = STEPS.get(step)  # type: ignore[call-overload]  # a stored str of a Step
    if handler is None:
        raise RetryLater(f"step {step} needs a person (no automatic handler)")
    try:
        handler(deps, order)
    except ChannelError as exc:  # unavailable or outcome unknown: never a failed payment
        raise RetryLater(f"channel: {exc}") from exc
    except CloudError as exc:
        if exc.result_code == codes.ORDER_STATE_CONFLICT:
            return  # another worker moved the order on; nothing left to do here
        raise RetryLater(str(exc)) from exc
