"""Orders: create a registration (lock or book), pay any order, read it with its history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flask import Blueprint
from spectree import Response
from sqlalchemy import Row

from cloud_service.api.auth import current_principal, current_user_id
from cloud_service.api.context import deps, trace_id
from cloud_service.api.schemas import ErrorOut, OrderEventOut, OrderOut, RegistrationIn
from cloud_service.api.spec import spec
from cloud_service.models import Order, OrderEvent
from cloud_service.saga import orders, patient
from envelope import clock

bp = Blueprint("orders", __name__, url_prefix="/api/v1")

_REFUSALS = {
    "HTTP_400": ErrorOut,
    "HTTP_404": ErrorOut,
    "HTTP_409": ErrorOut,
    "HTTP_502": ErrorOut,
    "HTTP_504": ErrorOut,
}


@bp.post("/registrations")
@spec.validate(json=RegistrationIn, resp=Response(HTTP_200=OrderOut, **_REFUSALS), tags=["orders"])
def create_registration(json: RegistrationIn) -> OrderOut:
    """Lock today's slot (or book a future one) and open a registration order."""
    principal = current_principal()
    order = patient.create_registration(
        deps(),
        principal.user_id,
        mrn=json.mrn,
        schedule_id=json.schedule_id,
        slot_id=json.slot_id,
        pay_mode=json.pay_mode,
        channel=json.channel,
        trace_id=trace_id(),
        entry=principal.entry,
    )
    return order_view(*orders.read_with_history(deps(), principal.user_id, order.order_no))


@bp.post("/orders/<order_no>/pay")
@spec.validate(resp=Response(HTTP_200=OrderOut, **_REFUSALS), tags=["orders"])
def pay(order_no: str) -> OrderOut:
    """Pre-settle with insurance when insured, then open the cashier for the cash part."""
    user_id = current_user_id()
    paying = patient.start_payment(deps(), user_id, order_no)
    return order_view(*orders.read_with_history(deps(), user_id, paying.order_no))


@bp.get("/orders/<order_no>")
@spec.validate(resp=Response(HTTP_200=OrderOut, HTTP_404=ErrorOut), tags=["orders"])
def read(order_no: str) -> OrderOut:
    """The order, its state and its history."""
    return order_view(*orders.read_with_history(deps(), current_user_id(), order_no))


def order_view(
    order: Order | Row[Any], events: Sequence[OrderEvent | orders.Event] | None = None
) -> OrderOut:
    """The API shape of an order with its history (read now when not given)."""
    if events is None:
        events = orders.history(deps(), order.order_no)
    return OrderOut(
        order_no=order.order_no,
        kind=order.kind,
        state=order.state,
        pay_mode=order.pay_mode,
        channel=order.channel,
        mrn=order.mrn,
        schedule_id=order.schedule_id,
        lock_id=order.lock_id,
        visit_date=order.visit_date,
        total_fen=order.total_fen,
        cash_fen=order.cash_fen,
        split=json.loads(order.split_json) if order.split_json else None,
        bill_nos=json.loads(order.bill_nos) if order.bill_nos else None,
        setl_id=order.setl_id,
        out_trade_no=order.out_trade_no,
        channel_trade_no=order.channel_trade_no,
        cashier_url=order.cashier_url,
        pay_params=json.loads(order.pay_params) if order.pay_params else None,
        entry=order.entry,
        result=json.loads(order.result_json) if order.result_json else None,
        failure=order.failure,
        trace_id=order.trace_id,
        history=[
            OrderEventOut(
                from_state=e.from_state, to_state=e.to_state, note=e.note, at=clock.iso(e.at)
            )
            for e in events
        ],
    )
