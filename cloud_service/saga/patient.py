"""The patient-driven half of the saga: creating a registration order (its slot locked or
booked), starting to pay an order (pre-settle when insured, then the channel's cashier),
and cancelling an unpaid registration: in the HIS first (2007, until the clinic's cut-off),
then in the ledger; a paid one is refunded at the hospital window (DESIGN §4), so it is
refused with that advice."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from cloud_service.accounts import binding_of
from cloud_service.channels.base import ChannelError, TradeNotFound
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.hospital import require_ok, require_ok_as
from cloud_service.models import AppUser, Order
from cloud_service.saga import calls
from cloud_service.saga.lock import store_lock
from cloud_service.saga.orders import follow_order, get_order
from cloud_service.saga.outbox import enqueue
from cloud_service.saga.payments import PaidTrade, record_payment
from cloud_service.saga.states import State, Step
from cloud_service.saga.transitions import move, record_created
from cloud_service.slot_gate import Verdict
from cloud_service.split import check_split
from envelope import clock, codes
from envelope.messages.his_answers import LockAnswer, SlotDetailAnswer, UnpaidBillsAnswer
from envelope.messages.insurance import OrderAnswer
from servicekit.db import transaction

PAY_MODES = ("INSURANCE", "SELF_PAY")
UNPAID = (State.CREATED, State.PRESETTLED, State.AWAITING_PAYMENT)
CHANNELS = ("WECHAT", "ALIPAY")
WINDOW_REFUND = "该挂号已支付，已支付的挂号请到医院窗口办理退号退费"
PAYABLE_LATER = (State.PRESETTLED, State.PAID, State.INSURANCE_SETTLED, State.CONFIRMED)


def new_order_no(kind: str) -> str:
    """R (registration) or C (charge) + yyyyMMddHHmmss + 8 random digits; 23 characters."""
    prefix = "R" if kind == "REG" else "C"
    return f"{prefix}{clock.now().strftime('%Y%m%d%H%M%S')}{secrets.randbelow(10**8):08d}"


def check_payer(
    deps: Deps,
    user_id: str,
    mrn: str,
    pay_mode: str,
    channel: str,
    entry: str = "APP",
    session: Session | None = None,
) -> None:
    """The record is the user's (2011), the pay mode and channel exist (1009), a patient
    inside WeChat or Alipay pays by that app (1009), and only an insured patient pays through
    insurance (2012)."""
    binding = binding_of(deps, user_id, mrn, session)
    if pay_mode not in PAY_MODES or channel not in CHANNELS:
        raise CloudError(
            codes.BODY_INVALID,
            "支付方式须为医保（INSURANCE）或自费（SELF_PAY），渠道须为微信支付（WECHAT）或支付宝（ALIPAY）",
        )
    if entry in CHANNELS and channel != entry:
        app = "微信" if entry == "WECHAT" else "支付宝"
        raise CloudError(codes.BODY_INVALID, f"在{app}内请使用{app}支付")
    if pay_mode == "INSURANCE" and not binding.insured:
        raise CloudError(codes.NOT_INSURED, "该就诊人未参加医保，请选择自费")


def create_registration(
    deps: Deps,
    user_id: str,
    *,
    mrn: str,
    schedule_id: str,
    slot_id: str | None,
    pay_mode: str,
    channel: str,
    trace_id: str,
    entry: str = "APP",
) -> Order:
    """Create a registration order and lock (today) or book (future) its slot (2006);
    ``entry`` is how the patient came in (APP, WECHAT, ALIPAY): every envelope's channel."""
    # before the record check: during a rush most patients stop here, and a full clinic is
    # public knowledge (the catalogue shows remaining = 0)
    holds_count = _pass_gate(deps, schedule_id, trace_id)
    stored: Order | None = None
    try:
        order = Order(
            order_no=new_order_no("REG"),
            user_id=user_id,
            mrn=mrn,
            kind="REG",
            state=State.CREATED,
            pay_mode=pay_mode,
            channel=channel,
            entry=entry,
            schedule_id=schedule_id,
            trace_id=trace_id,
        )
        with transaction(deps.sessions) as session:  # the record's check and the limit's at once
            check_payer(deps, user_id, mrn, pay_mode, channel, entry, session)
            _within_unpaid_limit(session, deps, user_id)
            record_created(session, order, "registration order created")
        reply = calls.lock_slot(deps, order, slot_id)
        sold_out = reply.result_code == codes.SLOT_SOLD_OUT and not slot_id
        if sold_out and deps.slot_gate is not None:
            deps.slot_gate.full(schedule_id)
            holds_count = False  # the count is 0 now, as the HIS says: nothing to give back
        if reply.outcome_unknown:
            with transaction(deps.sessions) as session:
                enqueue(session, order.order_no, Step.LOCK_QUERY)
            raise CloudError(codes.TIMED_OUT, "挂号结果正在确认中，请稍后查看订单")
        if not reply.ok:
            with transaction(deps.sessions) as session:
                move(
                    session,
                    order.order_no,
                    State.CREATED,
                    State.CANCELLED,
                    note=f"{reply.result_code} {reply.result_msg}",
                    failure=reply.result_msg,
                )
            raise CloudError(reply.result_code, reply.result_msg)
        stored = store_lock(deps, order.order_no, reply.answer(LockAnswer))
        return stored
    finally:
        # Only a stored lock keeps the slot taken from the gate (its release gives it back);
        # a refusal, a lost reply (asked again by lock_query) or any failure gives it back now.
        if stored is None and holds_count and deps.slot_gate is not None:
            deps.slot_gate.give_back(schedule_id)


def _within_unpaid_limit(session: Session, deps: Deps, user_id: str) -> None:
    """Registering fairly: at most ``deps.max_unpaid_locks`` unpaid same-day registrations
    per user at once (one whose day is not known yet counts), else 2020. The user's row is
    locked first, so a burst of requests is counted one after another."""
    session.scalar(select(AppUser).where(AppUser.user_id == user_id).with_for_update())
    held = session.scalar(
        select(func.count())
        .select_from(Order)
        .where(
            Order.user_id == user_id,
            Order.kind == "REG",
            Order.state.in_(UNPAID),
            or_(Order.visit_date.is_(None), Order.visit_date == clock.today().isoformat()),
        )
    )
    if int(held or 0) >= deps.max_unpaid_locks:
        raise CloudError(
            codes.REGISTRATION_LIMIT,
            f"您已有 {deps.max_unpaid_locks} 个今日待支付的挂号，请先支付或取消后再挂号",
        )


def _pass_gate(deps: Deps, schedule_id: str, trace_id: str) -> bool:
    """Take a slot from the gate's count (True), or pass without one (False) when there is
    no count (a quiet clinic); 2002 when the count says the clinic is full."""
    gate = deps.slot_gate
    if gate is None:
        return False
    verdict = gate.take(schedule_id)
    if verdict is Verdict.BUSY:
        if gate.may_count(schedule_id):
            answer = calls.remaining_slots(deps, schedule_id, trace_id)
            free = answer.answer(SlotDetailAnswer).remaining if answer.ok else None
            gate.set_count(schedule_id, free)
        else:
            gate.wait_for_count(schedule_id)
        verdict = gate.take(schedule_id)
    if verdict is Verdict.FULL:
        raise CloudError(codes.SLOT_SOLD_OUT, "该号源已约满")
    return verdict is Verdict.ADMITTED


def start_payment(deps: Deps, user_id: str, order_no: str) -> Order:
    """Pre-settle with insurance when insured (4004), then open the channel's cashier for
    the cash part. Calling it again on an unpaid order gives the same cashier."""
    order = get_order(deps, user_id, order_no)
    follow_order(order)
    if order.state == State.CREATED:
        if order.visit_date and order.visit_date != clock.today().isoformat():
            raise CloudError(
                codes.NOT_PAYABLE_TODAY,
                f"预约 {order.visit_date} 的号只能在就诊当日支付",
            )
        if order.kind == "CHARGE":
            _check_bills_unchanged(deps, order)
        order = _price(deps, order)
    if order.state == State.AWAITING_PAYMENT:
        return _open_cashier(deps, order)
    if order.state in PAYABLE_LATER:
        return order
    raise CloudError(codes.ORDER_STATE_CONFLICT, "该订单当前状态不能支付")


def _check_bills_unchanged(deps: Deps, order: Order) -> None:
    """Before any money moves: the unpaid bills must still be exactly the ones ordered."""
    reply = calls.list_bills(deps, order.mrn, order.trace_id, order.entry)
    listed = require_ok_as(reply, UnpaidBillsAnswer)
    same = listed.bills_digest == order.bills_digest and sorted(
        bill.bill_no for bill in listed.bills
    ) == json.loads(order.bill_nos or "[]")
    if same:
        return
    reason = "待缴账单已变化，请重新查询后再缴费"
    with transaction(deps.sessions) as session:
        move(session, order.order_no, State.CREATED, State.CANCELLED, note=reason, failure=reason)
    raise CloudError(codes.BILLS_CHANGED, reason)


def _price(deps: Deps, order: Order) -> Order:
    """The cash part: insured, what the pre-settlement (4004) leaves; self-pay, the total.
    The moves to PRESETTLED and AWAITING_PAYMENT are one transaction, each answering the
    order as it now stands; a zero-cash order waits at PRESETTLED for its settle step."""
    split = None
    if order.pay_mode == "INSURANCE":
        answer = require_ok_as(calls.presettle(deps, order), OrderAnswer)
        split = check_split(answer.split.model_dump() if answer.split else {}, order.total_fen)
    with transaction(deps.sessions) as session:
        if split is not None:
            cash = split["psn_cash_pay"]
            order = move(
                session,
                order.order_no,
                State.CREATED,
                State.PRESETTLED,
                note=f"insurance pre-settled, cash part {cash} fen",
                split_json=json.dumps(split),
                cash_fen=cash,
                step=Step.SETTLE if cash == 0 else None,
            )
            if cash == 0:
                return order
        deadline = clock.now() + deps.payment_window
        cash_fen = order.cash_fen if split is not None else order.total_fen
        return move(
            session,
            order.order_no,
            order.state,
            State.AWAITING_PAYMENT,
            note=f"awaiting {cash_fen} fen by {order.channel}",
            cash_fen=cash_fen,
            out_trade_no=order.order_no,
            pay_deadline=deadline,
            step=Step.PAYMENT_DEADLINE,
            step_due=deadline,
        )


def _open_cashier(deps: Deps, order: Order) -> Order:
    """The channel order the patient pays: inside WeChat a JSAPI order for the user's openid
    (its signed bridge parameters), inside Alipay a trade for the buyer (its tradeNO), in a
    browser or the hospital's app the H5 / wap cashier."""
    channel: Any = deps.channels[order.channel]
    assert order.out_trade_no is not None
    description = "门诊缴费" if order.kind == "CHARGE" else "挂号费"
    cashier_url, pay_params = "", None
    if order.entry == "WECHAT":
        openid = _app_identity(deps, order.user_id, "wechat_openid")
        placed = channel.create_jsapi(order.out_trade_no, order.cash_fen, description, openid)
        pay_params = placed["pay_params"]
    elif order.entry == "ALIPAY":
        buyer = _app_identity(deps, order.user_id, "alipay_user_id")
        placed = channel.create_trade(order.out_trade_no, order.cash_fen, description, buyer)
        pay_params = {"tradeNO": placed["trade_no"]}
    else:
        prepay = channel.create_h5(order.out_trade_no, order.cash_fen, description)
        cashier_url = str(prepay.get("h5_url") or prepay.get("cashier_url") or "")
    with transaction(deps.sessions) as session:
        return session.scalars(
            update(Order)
            .where(Order.order_no == order.order_no)
            .values(
                cashier_url=cashier_url, pay_params=json.dumps(pay_params) if pay_params else None
            )
            .returning(Order)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).one()


def _app_identity(deps: Deps, user_id: str, field: str) -> str:
    """The payer's id inside WeChat (openid) or Alipay (user id), from their sign-in."""
    with deps.sessions() as session:
        user = session.get(AppUser, user_id)
    value = getattr(user, field, None) if user is not None else None
    if not value:
        raise CloudError(codes.BAD_SIGNATURE, "请从微信或支付宝内重新进入后再支付")
    return str(value)


def cancel_registration(deps: Deps, user_id: str, order_no: str) -> Order:
    """Cancel an unpaid registration: the HIS frees the slot (2007), the order is closed."""
    order = get_order(deps, user_id, order_no)
    follow_order(order)
    if order.kind != "REG":
        raise CloudError(codes.ORDER_STATE_CONFLICT, "只有挂号订单可以取消")
    if order.state in (State.CANCELLED, State.CLOSED):
        return order
    if order.state == State.CONFIRMED:
        raise CloudError(codes.ORDER_STATE_CONFLICT, WINDOW_REFUND)
    if order.state not in UNPAID:
        raise CloudError(codes.ORDER_STATE_CONFLICT, "该订单正在支付处理中，请稍后再试")
    if order.lock_id:
        require_ok(calls.release_slot(deps, order, operator=user_id))
        if deps.slot_gate is not None:
            deps.slot_gate.give_back(order.schedule_id)
    if order.state == State.AWAITING_PAYMENT:
        return _close_unpaid(deps, order)
    with transaction(deps.sessions) as session:
        return move(
            session, order_no, order.state, State.CANCELLED, note="cancelled by the patient"
        )


def _close_unpaid(deps: Deps, order: Order) -> Order:
    """Close the cashier; a payment that got in first wins and the saga carries on."""
    assert order.out_trade_no is not None
    channel = deps.channels[order.channel]
    try:
        trade = channel.query(order.out_trade_no)
    except TradeNotFound:
        trade = None
    except ChannelError as exc:
        raise CloudError(codes.PEER_UNAVAILABLE, "支付渠道暂时无法连接，请稍后再试") from exc
    if trade is not None and trade.state == "SUCCESS":
        paid = PaidTrade(
            order.channel, order.out_trade_no, trade.amount_fen, trade.transaction_id or ""
        )
        record_payment(deps, paid)
        raise CloudError(codes.ORDER_STATE_CONFLICT, "订单已在此期间支付成功；" + WINDOW_REFUND)
    if trade is not None:
        channel.close(order.out_trade_no)
    with transaction(deps.sessions) as session:
        return move(
            session,
            order.order_no,
            State.AWAITING_PAYMENT,
            State.CLOSED,
            note="cancelled by the patient; channel order closed",
        )
