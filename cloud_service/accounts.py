"""App users and the hospital records they bind (DESIGN §4, account binding)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.hospital import require_ok
from cloud_service.models import AppUser, Binding
from envelope import codes
from servicekit.db import transaction
from servicekit.idcard import InvalidIdCard, parse_id_card
from servicekit.masking import mask_id_card


def register_user(deps: Deps, phone: str) -> str:
    """Return the user id of the phone number, creating the user the first time."""
    with transaction(deps.sessions) as session:
        user = session.scalar(select(AppUser).where(AppUser.phone == phone))
        if user is None:
            user = AppUser(user_id="U" + secrets.token_hex(8), phone=phone)
            session.add(user)
        return user.user_id


def bind_record(
    deps: Deps, user_id: str, id_card_no: str, name: str, phone: str, trace_id: str
) -> Binding:
    """Find the patient in the HIS by ID card and name (1001), create them if absent
    (1002), and bind the record to the app user."""
    try:
        card = parse_id_card(id_card_no)
    except InvalidIdCard as exc:
        raise CloudError(codes.INVALID_ID_CARD, str(exc)) from exc
    query = {"id_card_no": card.number, "name": name}
    patient = require_ok(deps.hospital.call("1001", query, trace_id=trace_id, operator=user_id))
    if not patient.get("exists"):
        require_ok(
            deps.hospital.call(
                "1002",
                {
                    **query,
                    "phone": phone or _phone_of(deps, user_id),
                    "gender": card.gender,
                    "birth_date": card.birth_date.isoformat(),
                },
                trace_id=trace_id,
                operator=user_id,
            )
        )
        patient = require_ok(deps.hospital.call("1001", query, trace_id=trace_id, operator=user_id))
    return _save_binding(deps, user_id, patient, card.number, name)


def _phone_of(deps: Deps, user_id: str) -> str:
    """The app user's own phone: the contact the HIS gets when the form left it empty."""
    with deps.sessions() as session:
        user = session.get(AppUser, user_id)
    return user.phone if user else ""


def _save_binding(
    deps: Deps, user_id: str, patient: dict[str, Any], id_card_no: str, name: str
) -> Binding:
    try:
        return _insert_binding(deps, user_id, patient, id_card_no, name)
    except IntegrityError:
        # The same user bound the same record in a concurrent request: that binding stands.
        return binding_of(deps, user_id, patient["mrn"])


def _insert_binding(
    deps: Deps, user_id: str, patient: dict[str, Any], id_card_no: str, name: str
) -> Binding:
    with transaction(deps.sessions) as session:
        binding = session.scalar(
            select(Binding).where(Binding.user_id == user_id, Binding.mrn == patient["mrn"])
        )
        if binding is None:
            binding = Binding(
                user_id=user_id,
                mrn=patient["mrn"],
                patient_name=name,
                id_card_masked=mask_id_card(id_card_no),
                patient_type=patient.get("patient_type", "SELF_PAY"),
                insured=bool(patient.get("insured")),
            )
            session.add(binding)
        return binding


def list_bindings(deps: Deps, user_id: str) -> list[Binding]:
    """The records bound to an app user."""
    with deps.sessions() as session:
        return list(
            session.scalars(select(Binding).where(Binding.user_id == user_id).order_by(Binding.id))
        )


def unbind(deps: Deps, user_id: str, mrn: str) -> None:
    """Remove the user's binding of ``mrn`` (2011 when it is not bound to this user)."""
    with transaction(deps.sessions) as session:
        removed = session.execute(
            delete(Binding).where(Binding.user_id == user_id, Binding.mrn == mrn)
        )
        if removed.rowcount != 1:  # type: ignore[attr-defined]
            raise CloudError(codes.PATIENT_MISMATCH, "this record is not bound to your account")


def binding_of(deps: Deps, user_id: str, mrn: str) -> Binding:
    """The user's binding of ``mrn``, or 2011: nobody acts on another patient's record."""
    with deps.sessions() as session:
        binding = session.scalar(
            select(Binding).where(Binding.user_id == user_id, Binding.mrn == mrn)
        )
    if binding is None:
        raise CloudError(codes.PATIENT_MISMATCH, "this record is not bound to your account")
    return binding
