"""Users bind (with proof), list and unbind hospital records."""

from __future__ import annotations

from flask import Blueprint, request
from spectree import Response

from cloud_service import accounts
from cloud_service.api.auth import current_user_id
from cloud_service.api.context import deps, trace_id
from cloud_service.api.schemas import (
    BindIn,
    BindPendingOut,
    ErrorOut,
    PatientList,
    PatientOut,
    UnbindOut,
    VerifyIn,
)
from cloud_service.api.spec import spec
from cloud_service.models import Binding

bp = Blueprint("patients", __name__, url_prefix="/api/v1")


@bp.post("/patients")
@spec.validate(
    json=BindIn,
    resp=Response(
        HTTP_200=PatientOut, HTTP_202=BindPendingOut, HTTP_400=ErrorOut, HTTP_409=ErrorOut
    ),
    tags=["patients"],
)
def bind(json: BindIn) -> PatientOut | tuple[BindPendingOut, int]:
    """Bind a hospital record by ID card number and name: at once when its phone is the
    user's verified phone (a new record takes that phone), else 202 and a code to the
    record's phone, for ``POST /patients/<binding_id>/verify``."""
    found = accounts.bind_record(
        deps(), current_user_id(), json.id_card_no, json.name, trace_id(), _address()
    )
    if isinstance(found, accounts.PendingBinding):
        return BindPendingOut(binding_id=found.binding_id, phone_masked=found.phone_masked), 202
    return _patient(found)


@bp.post("/patients/<binding_id>/verify")
@spec.validate(
    json=VerifyIn,
    resp=Response(HTTP_200=PatientOut, HTTP_400=ErrorOut, HTTP_409=ErrorOut),
    tags=["patients"],
)
def verify(binding_id: str, json: VerifyIn) -> PatientOut:
    """Bind the record the code was texted to (2017 for a wrong, used or expired code)."""
    return _patient(accounts.confirm_binding(deps(), current_user_id(), binding_id, json.code))


def _address() -> str:
    return request.remote_addr or "unknown"


@bp.get("/patients")
@spec.validate(resp=Response(HTTP_200=PatientList), tags=["patients"])
def list_patients() -> PatientList:
    """The hospital records bound to this user."""
    return PatientList(
        patients=[_patient(b) for b in accounts.list_bindings(deps(), current_user_id())]
    )


@bp.delete("/patients/<mrn>")
@spec.validate(resp=Response(HTTP_200=UnbindOut, HTTP_409=ErrorOut), tags=["patients"])
def unbind(mrn: str) -> UnbindOut:
    """Unbind a record from this user (the hospital record itself stays)."""
    accounts.unbind(deps(), current_user_id(), mrn)
    return UnbindOut(mrn=mrn, unbound=True)


def _patient(binding: Binding) -> PatientOut:
    return PatientOut(
        mrn=binding.mrn,
        name=binding.patient_name,
        id_card_no=binding.id_card_masked,
        patient_type=binding.patient_type,
        insured=binding.insured,
        relation=binding.relation,
    )
