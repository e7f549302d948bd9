"""My registrations (per bound record) and cancelling an unpaid one."""

from __future__ import annotations

from datetime import date

from flask import Blueprint
from spectree import Response

from cloud_service import registrations
from cloud_service.api.auth import current_user_id
from cloud_service.api.context import deps, trace_id
from cloud_service.api.orders import order_view
from cloud_service.api.schemas import ErrorOut, OrderOut, RegistrationList, RegistrationQuery
from cloud_service.api.spec import spec
from cloud_service.saga import patient

bp = Blueprint("registrations", __name__, url_prefix="/api/v1")
_REFUSALS = {"HTTP_400": ErrorOut, "HTTP_404": ErrorOut, "HTTP_409": ErrorOut, "HTTP_502": ErrorOut}


@bp.get("/registrations")
@spec.validate(
    query=RegistrationQuery,
    resp=Response(HTTP_200=RegistrationList, **_REFUSALS),
    tags=["orders"],
)
def list_registrations(query: RegistrationQuery) -> RegistrationList:
    """Registrations of my bound records (or of one record), as the HIS keeps them."""
    return RegistrationList(
        registrations=registrations.my_registrations(
            deps(),
            current_user_id(),
            query.mrn,
            date.fromisoformat(query.start_date) if query.start_date else None,
            date.fromisoformat(query.end_date) if query.end_date else None,
            trace_id(),
        )
    )


@bp.post("/registrations/<order_no>/cancel")
@spec.validate(resp=Response(HTTP_200=OrderOut, **_REFUSALS), tags=["orders"])
def cancel(order_no: str) -> OrderOut:
    """Cancel an unpaid registration until the clinic's cut-off (a paid one: at the window)."""
    return order_view(patient.cancel_registration(deps(), current_user_id(), order_no))
