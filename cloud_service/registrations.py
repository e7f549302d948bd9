"""A patient's registrations (2009 per bound record) and cancelling one (2007).

An unpaid registration is cancelled in the HIS first, until the clinic's cut-off, and only
then in the ledger; a paid one is refunded at the hospital window (DESIGN §4), so it is
refused here with that advice.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from cloud_service import saga
from cloud_service.accounts import binding_of, list_bindings
from cloud_service.channels.base import ChannelError, TradeNotFound
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.hospital import require_ok
from cloud_service.models import Order
from cloud_service.saga import calls
from cloud_service.saga.orders import follow_order, get_order
from cloud_service.saga.patient import UNPAID
from cloud_service.saga.payments import PaidTrade, record_payment
from envelope import clock, codes
from servicekit.db import transaction

log = logging.getLogger(__name__)
WINDOW_REFUND = "该挂号已支付，已支付的挂号请到医院窗口办理退号退费"


def my_registrations(
    deps: Deps, user_id: str, mrn: str | None, start: date | None, end: date | None, trace_id: str
) -> list[dict[str, Any]]:
    """Registrations of the user's bound records (or of one), with the cloud order's state."""
    bindings = [binding_of(deps, user_id, mrn)] if mrn else list_bindings(deps, user_id)
    today = clock.today()
    body = {
        "start_date": (start or today - timedelta(days=90)).isoformat(),
        "end_date": (end or today + timedelta(days=30)).isoformat(),
    }
    rows: list[dict[str, Any]] = []
    for binding in bindings:
        answer = require_ok(
            deps.hospital.call("2009", {**body, "mrn": binding.mrn}, trace_id=trace_id)
        )
        rows += [{**row, "patient_name": binding.patient_name} for row in answer["registrations"]]
    states = _order_states(deps, user_id, [row["order_no"] for row in rows])
    return [{**row, "order_state": states.get(row["order_no"])} for row in rows]


def _order_states(deps: Deps, user_id: str, order_nos: list[str]) -> dict[str, str]:
    if not order_nos:
        return {}
    with deps.sessions() as session:
        found = session.execute(
            select(Order.order_no, Order.state).where(
                Order.order_no.in_(order_nos), Order.user_id == user_id
            )
        ).all()
    return {order_no: state for order_no, state in found}


def cancel_registration(deps: Deps, user_id: str, order_no: str) -> Order:
    """Cancel an unpaid registration: the HIS frees the slot (2007), the order is closed."""
    order = get_order(deps, user_id, order_no)
    follow_order(order)
    if order.kind != "REG":
        raise CloudError(codes.ORDER_STATE_CONFLICT, "只有挂号订单可以取消")
    if order.state in (saga.CANCELLED, saga.CLOSED):
        return order
    if order.state == saga.CONFIRMED:
        raise CloudError(codes.ORDER_STATE_CONFLICT, WINDOW_REFUND)
    if order.state not in UNPAID:
        raise CloudError(codes.ORDER_STATE_CONFLICT, "该订单正在支付处理中，请稍后再试")
    if order.lock_id:
        require_ok(calls.release_slot(deps, order, operator=user_id))
        if deps.slot_gate is not None:
            deps.slot_gate.give_back(order.schedule_id)
    if order.state == saga.AWAITING_PAYMENT:
        return _close_unpaid(deps, order)
    with transaction(deps.sessions) as session:
        return saga.move(
            session, order_no, order.state, saga.CANCELLED, note="cancelled by the patient"
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
        return saga.move(
            session,
            order.order_no,
            saga.AWAITING_PAYMENT,
            saga.CLOSED,
            note="cancelled by the patient; channel order closed",
        )
