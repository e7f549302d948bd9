"""Patient accounts: query by ID card and name (1001), create (1002), demographics (1003)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from envelope import codes
from envelope.codes import EnvelopeError
from envelope.messages import his
from envelope.server import Incoming
from integration_platform.deps import Deps
from integration_platform.fields import day, typed
from integration_platform.models import Patient
from integration_platform.tables import PATIENTS
from servicekit import idcard
from servicekit.db import transaction


def _valid_id_card(id_card_no: str) -> str:
    number = idcard.normalize(id_card_no)
    reason = idcard.refusal(number)
    if reason is not None:
        raise EnvelopeError(codes.INVALID_ID_CARD, reason)
    return number


_P = PATIENTS.c
_BY_ID_CARD = select(_P.patient_id, _P.mrn, _P.patient_type, _P.insured, _P.name, _P.phone).where(
    _P.id_card_no == bindparam("number")
)
_BY_MRN = select(
    _P.patient_id,
    _P.mrn,
    _P.patient_type,
    _P.insured,
    _P.id_card_no,
    _P.name,
    _P.gender,
    _P.birth_date,
    _P.phone,
).where(_P.mrn == bindparam("mrn"))
_EXISTS_BY_MRN = select(_P.mrn).where(_P.mrn == bindparam("mrn"))


def _summary(patient: Any) -> dict[str, Any]:
    return {
        "patient_id": patient.patient_id,
        "mrn": patient.mrn,
        "patient_type": patient.patient_type,
        "insured": patient.insured,
    }


def query_patient(engine: Engine, id_card_no: str, name: str) -> dict[str, Any]:
    """1001: whether the HIS knows this ID card number under this name, with the record's
    phone (the cloud texts the code that proves the record is the user's to it)."""
    number = _valid_id_card(id_card_no)
    with engine.connect() as connection:
        patient = connection.execute(_BY_ID_CARD, {"number": number}).first()
    # A wrong name answers exactly like an unknown number: nothing about the record leaks.
    if patient is None or patient.name != name.strip():
        return {"exists": False}
    return {"exists": True, **_summary(patient), "phone": patient.phone or ""}


def _next_ids(session: Session) -> tuple[str, str]:
    highest = session.scalar(select(func.max(Patient.patient_id))) or "P00000000"
    number = int(highest[1:]) + 1
    return f"P{number:08d}", f"M{number:08d}"


def _existing(session: Session, number: str, name: str) -> dict[str, Any] | None:
    patient = session.scalar(select(Patient).where(Patient.id_card_no == number))
    if patient is None:
        return None
    if patient.name != name:
        raise EnvelopeError(
            codes.PATIENT_MISMATCH, "the ID card number is registered under another name"
        )
    return {**_summary(patient), "created": False}


def create_patient(
    sessions: sessionmaker[Session],
    *,
    id_card_no: str,
    name: str,
    phone: str,
    gender: str,
    birth_date: date,
) -> dict[str, Any]:
    """1002: create the record, or return the one this ID card number already has."""
    number, name = _valid_id_card(id_card_no), name.strip()
    if gender not in ("M", "F"):
        raise EnvelopeError(codes.BODY_INVALID, "gender must be M or F")
    for _ in range(5):
        try:
            with transaction(sessions) as session:
                found = _existing(session, number, name)
                if found is not None:
                    return found
                patient_id, mrn = _next_ids(session)
                patient = Patient(
                    patient_id=patient_id,
                    mrn=mrn,
                    id_card_no=number,
                    name=name,
                    gender=gender,
                    birth_date=birth_date,
                    phone=phone,
                    patient_type="SELF_PAY",
                    insured=False,
                )
                session.add(patient)
                session.flush()
                return {**_summary(patient), "created": True}
        except IntegrityError:
            continue  # a concurrent create took the number or the record number; look again
    raise EnvelopeError(codes.INTERNAL, "could not allocate a record number")


def patient_info(engine: Engine, mrn: str) -> dict[str, Any]:
    """1003: demographics of a record number, or 2001."""
    with engine.connect() as connection:
        patient = connection.execute(_BY_MRN, {"mrn": mrn}).first()
    if patient is None:
        raise EnvelopeError(codes.PATIENT_NOT_FOUND, "no patient with this record number")
    return {
        **_summary(patient),
        "id_card_no": patient.id_card_no,
        "name": patient.name,
        "gender": patient.gender,
        "birth_date": patient.birth_date.isoformat(),
        "phone": patient.phone,
    }


def find_patient(session: Session, mrn: str) -> Patient:
    """The patient of a record number inside a unit of work, or 2001."""
    patient = session.scalar(select(Patient).where(Patient.mrn == mrn))
    if patient is None:
        raise EnvelopeError(codes.PATIENT_NOT_FOUND, "no patient with this record number")
    return patient


def require_patient(connection: Connection, mrn: str) -> None:
    """Refuse (2001) a record number the HIS does not have."""
    if connection.execute(_EXISTS_BY_MRN, {"mrn": mrn}).first() is None:
        raise EnvelopeError(codes.PATIENT_NOT_FOUND, "no patient with this record number")


def handle_patient_query(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """1001 patient query."""
    request = typed(incoming, his.PatientQuery)
    return query_patient(deps.reader, request.id_card_no.strip(), request.name.strip())


def handle_patient_create(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """1002 patient create (idempotent on id_card_no)."""
    request = typed(incoming, his.PatientCreate)
    return create_patient(
        deps.sessions,
        id_card_no=request.id_card_no.strip(),
        name=request.name.strip(),
        phone=request.phone.strip(),
        gender=request.gender.strip(),
        birth_date=day(request.birth_date, "birth_date"),
    )


def handle_patient_info(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """1003 patient info."""
    return patient_info(deps.reader, typed(incoming, his.PatientInfo).mrn.strip())
