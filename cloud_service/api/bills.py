"""Outpatient bills of a bound record, and paying them all together (a CHARGE order)."""

from __future__ import annotations

from flask import Blueprint
from spectree import Response

from cloud_service import charging
from cloud_service.api.auth import current_principal, current_user_id
from cloud_service.api.context import deps, trace_id
from cloud_service.api.orders import order_view
from cloud_service.api.schemas import BillDetail, BillList, ChargeIn, ErrorOut, OrderOut
from cloud_service.api.spec import spec

bp = Blueprint("bills", __name__, url_prefix="/api/v1")
_REFUSALS = {
    "HTTP_400": ErrorOut,
    "HTTP_404": ErrorOut,
    "HTTP_409": ErrorOut,
    "HTTP_502": ErrorOut,
    "HTTP_504": ErrorOut,
}


@bp.get("/patients/<mrn>/bills")
@spec.validate(resp=Response(HTTP_200=BillList, **_REFUSALS), tags=["bills"])
def unpaid(mrn: str) -> BillList:
    """The record's unpaid bills with their total and bills_digest."""
    return BillList(**charging.unpaid_bills(deps(), current_user_id(), mrn, trace_id()))


@bp.get("/patients/<mrn>/bills/<bill_no>")
@spec.validate(resp=Response(HTTP_200=BillDetail, **_REFUSALS), tags=["bills"])
def detail(mrn: str, bill_no: str) -> BillDetail:
    """One bill with its fee items."""
    return BillDetail(**charging.bill_detail(deps(), current_user_id(), mrn, bill_no, trace_id()))


@bp.post("/charges")
@spec.validate(json=ChargeIn, resp=Response(HTTP_200=OrderOut, **_REFUSALS), tags=["bills"])
def create(json: ChargeIn) -> OrderOut:
    """Open a CHARGE order for all the unpaid bills; pay it with POST /orders/<no>/pay."""
    principal = current_principal()
    order = charging.create_charge(
        deps(),
        principal.user_id,
        mrn=json.mrn,
        bill_nos=json.bill_nos,
        bills_digest=json.bills_digest,
        pay_mode=json.pay_mode,
        channel=json.channel,
        trace_id=trace_id(),
        entry=principal.entry,
    )
    return order_view(order)
