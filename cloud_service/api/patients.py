"""Users sign in with a phone number and bind, list and unbind hospital records."""

from __future__ import annotations

from flask import Blueprint, current_app
from spectree import Response

from cloud_service import accounts
from cloud_service.api.auth import current_user_id, issue_token
from cloud_service.api.context import deps, trace_id
from cloud_service.api.schemas import (
    BindIn,
    ErrorOut,
    PatientList,
    PatientOut,
    UnbindOut,
    UserIn,
    UserOut,
)
from cloud_service.api.spec import spec
from cloud_service.models import Binding

bp = Blueprint("patients", __name__, url_prefix="/api/v1")


@bp.post("/users")
@spec.validate(
    json=UserIn, resp=Response(HTTP_200=UserOut, HTTP_400=ErrorOut), tags=["patients"], security={}
)
def sign_in(json: UserIn) -> UserOut:
    """Sign in with a phone number; the user is created the first time."""
    user_id = accounts.register_user(deps(), json.phone)
    return UserOut(user_id=user_id, token=issue_token(current_app.config["SECRET_KEY"], user_id))


@bp.post("/patients")
@spec.validate(
    json=BindIn,
    resp=Response(HTTP_200=PatientOut, HTTP_400=ErrorOut, HTTP_409=ErrorOut),
    tags=["patients"],
)
def bind(json: BindIn) -> PatientOut:
    """Bind a hospital record by ID card number and name (created in the HIS if absent)."""
    binding = accounts.bind_record(
        deps(), current_user_id(), json.id_card_no, json.name, json.phone, trace_id()
    )
    return _patient(binding)


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
    )
