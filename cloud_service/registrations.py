"""A patient's registrations (2009 per bound record), with the cloud order's state.
Cancelling one is part of the order life cycle: saga.patient.cancel_registration."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from cloud_service.accounts import binding_of, list_bindings
from cloud_service.deps import Deps
from cloud_service.hospital import answer_of
from cloud_service.models import Order
from envelope import clock
from envelope.messages.his import RegistrationRecords
from envelope.messages.his_answers import RegistrationsAnswer


def my_registrations(
    deps: Deps, user_id: str, mrn: str | None, start: date | None, end: date | None, trace_id: str
) -> list[dict[str, Any]]:
    """Registrations of the user's bound records (or of one), with the cloud order's state."""
    bindings = [binding_of(deps, user_id, mrn)] if mrn else list_bindings(deps, user_id)
    today = clock.today()
    days = {
        "start_date": (start or today - timedelta(days=90)).isoformat(),
        "end_date": (end or today + timedelta(days=30)).isoformat(),
    }
    rows: list[dict[str, Any]] = []
    for binding in bindings:
        request = RegistrationRecords(mrn=binding.mrn, **days)
        answer = answer_of(deps.hospital, request, RegistrationsAnswer, trace_id)
        name = binding.patient_name
        rows += [{**row.model_dump(), "patient_name": name} for row in answer.registrations]
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
