"""The clinic calendar: departments (2001), doctors (2002), schedules (2003), remaining
slots (2004) and the slots of a schedule (2005)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, bindparam, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from envelope.messages import his
from envelope.server import Incoming
from integration_platform import fees
from integration_platform.deps import Deps
from integration_platform.fields import date_range, optional, typed
from integration_platform.locking import release_lapsed
from integration_platform.models import Department, Doctor, to_db_time
from integration_platform.tables import DEPARTMENTS, DOCTORS, REGISTRATIONS, SCHEDULES, SLOTS


def list_departments(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """2001: every department, parents first."""
    with sessions() as session:
        rows = session.scalars(select(Department).order_by(Department.dept_code)).all()
    return {
        "departments": [
            {
                "dept_code": d.dept_code,
                "name": d.name,
                "parent_code": d.parent_code,
                "intro": d.intro,
                "location": d.location,
            }
            for d in rows
        ]
    }


def list_doctors(sessions: sessionmaker[Session], dept_code: str | None) -> dict[str, Any]:
    """2002: the doctors of a department (and its sub-departments), or all."""
    with sessions() as session:
        query = select(Doctor).order_by(Doctor.doctor_code)
        if dept_code:
            query = query.where(Doctor.dept_code.in_(_dept_family(session, dept_code)))
        rows = session.scalars(query).all()
    return {
        "doctors": [
            {
                "doctor_code": d.doctor_code,
                "name": d.name,
                "title": d.title,
                "dept_code": d.dept_code,
                "specialty": d.specialty,
                "level": d.level,
            }
            for d in rows
        ]
    }


def _dept_family(session: Session, dept_code: str) -> list[str]:
    children = session.scalars(
        select(Department.dept_code).where(Department.parent_code == dept_code)
    ).all()
    return [dept_code, *children]


_SC, _S, _D, _DR, _R = SCHEDULES.c, SLOTS.c, DEPARTMENTS.c, DOCTORS.c, REGISTRATIONS.c
# A listing writes nothing: a slot whose same-day lock lapsed counts as remaining already
# (the lapsed lock is released by the next request that needs that slot or that order).
_FREE = (
    select(func.count())
    .where(_S.schedule_id == _SC.schedule_id, _S.status == "FREE")
    .scalar_subquery()
    + select(func.count())
    .where(
        _R.schedule_id == _SC.schedule_id,
        _R.status == "LOCKED",
        _R.expires_at < bindparam("cutoff"),
    )
    .scalar_subquery()
).label("remaining")
_SCHEDULE_COLUMNS = (
    _SC.schedule_id,
    _SC.visit_date,
    _SC.period,
    _SC.dept_code,
    _D.name.label("dept_name"),
    _SC.doctor_code,
    _DR.name.label("doctor_name"),
    _DR.title.label("doctor_title"),
    _SC.level,
    _SC.reg_fee_fen,
    _SC.diag_fee_fen,
    _SC.total_fen,
    _SC.capacity,
)
_SLOTS_OF = (
    select(_S.slot_id, _S.seq_no, _S.start_time, _S.end_time, _S.status)
    .where(_S.schedule_id == bindparam("schedule_id"))
    .order_by(_S.seq_no)
)


def _listing(full: bool, by_dept: bool, by_doctor: bool) -> Any:
    """The schedules of a day range, with live FREE counts, in one statement."""
    if full:
        query = (
            select(*_SCHEDULE_COLUMNS, _FREE)
            .join(DOCTORS, _DR.doctor_code == _SC.doctor_code)
            .join(DEPARTMENTS, _D.dept_code == _SC.dept_code)
        )
    else:
        query = select(_SC.schedule_id, _SC.visit_date, _SC.period, _SC.doctor_code, _FREE)
    query = query.where(
        _SC.visit_date >= bindparam("start"), _SC.visit_date <= bindparam("end")
    ).order_by(_SC.visit_date, _SC.period, _SC.dept_code, _SC.doctor_code)
    if by_dept:
        children = select(_D.dept_code).where(_D.parent_code == bindparam("dept_code"))
        query = query.where(
            or_(_SC.dept_code == bindparam("dept_code"), _SC.dept_code.in_(children))
        )
    if by_doctor:
        query = query.where(_SC.doctor_code == bindparam("doctor_code"))
    return query


_LISTINGS = {
    (full, dept, doctor): _listing(full, dept, doctor)
    for full in (True, False)
    for dept in (True, False)
    for doctor in (True, False)
}
_ONE_SCHEDULE = (
    select(*_SCHEDULE_COLUMNS, _FREE)
    .join(DOCTORS, _DR.doctor_code == _SC.doctor_code)
    .join(DEPARTMENTS, _D.dept_code == _SC.dept_code)
    .where(_SC.schedule_id == bindparam("schedule_id"))
)


def schedule_row(row: Any) -> dict[str, Any]:
    """One schedule as the envelope shows it (money in fen)."""
    level = fees.LEVELS.get(row.level)
    return {
        "schedule_id": row.schedule_id,
        "date": row.visit_date.isoformat(),
        "period": row.period,
        "dept_code": row.dept_code,
        "dept_name": row.dept_name,
        "doctor_code": row.doctor_code,
        "doctor_name": row.doctor_name,
        "doctor_title": row.doctor_title,
        "level": row.level,
        "level_name": level.name if level else row.level,
        "reg_fee": row.reg_fee_fen,
        "diag_fee": row.diag_fee_fen,
        "total": row.total_fen,
        "capacity": row.capacity,
        "remaining": row.remaining,
    }


def _schedules(
    engine: Engine,
    full: bool,
    start: date,
    end: date,
    dept_code: str | None,
    doctor_code: str | None,
) -> Sequence[Any]:
    statement = _LISTINGS[(full, bool(dept_code), bool(doctor_code))]
    params = {
        "start": start,
        "end": end,
        "dept_code": dept_code,
        "doctor_code": doctor_code,
        "cutoff": to_db_time(clock.now()),
    }
    with engine.connect() as connection:
        return connection.execute(statement, params).all()


def list_schedules(
    engine: Engine,
    start: date,
    end: date,
    dept_code: str | None = None,
    doctor_code: str | None = None,
) -> dict[str, Any]:
    """2003: schedules in a date range with live remaining counts."""
    rows = _schedules(engine, True, start, end, dept_code, doctor_code)
    return {"schedules": [schedule_row(row) for row in rows]}


def remaining_slots(
    engine: Engine,
    start: date,
    end: date,
    dept_code: str | None,
    doctor_code: str | None,
) -> dict[str, Any]:
    """2004: remaining slots per schedule, asked live."""
    if not dept_code and not doctor_code:
        raise EnvelopeError(codes.BODY_INVALID, "dept_code or doctor_code is required")
    rows = _schedules(engine, False, start, end, dept_code, doctor_code)
    return {
        "schedules": [
            {
                "schedule_id": row.schedule_id,
                "date": row.visit_date.isoformat(),
                "period": row.period,
                "doctor_code": row.doctor_code,
                "remaining": row.remaining,
            }
            for row in rows
        ]
    }


def slot_detail(engine: Engine, schedule_id: str) -> dict[str, Any]:
    """2005: the slots of a schedule with their status, or 2008."""
    with engine.begin() as connection:
        release_lapsed(connection, clock.now(), schedule_id=schedule_id, mrn="")
        params = {"schedule_id": schedule_id, "cutoff": to_db_time(clock.now())}
        found = connection.execute(_ONE_SCHEDULE, params).first()
        if found is None:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, "no schedule with this id")
        slots = connection.execute(_SLOTS_OF, {"schedule_id": schedule_id}).all()
    return {
        **schedule_row(found),
        "slots": [
            {
                "slot_id": s.slot_id,
                "seq_no": s.seq_no,
                "start_time": s.start_time,
                "end_time": s.end_time,
                "status": s.status,
            }
            for s in slots
        ],
    }


def handle_departments(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2001 department list."""
    typed(incoming, his.Departments)
    return list_departments(deps.sessions)


def handle_doctors(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2002 doctor list."""
    return list_doctors(deps.sessions, optional(typed(incoming, his.Doctors).dept_code))


def handle_schedules(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2003 schedule list."""
    request = typed(incoming, his.Schedules)
    start, end = date_range(request.start_date, request.end_date)
    dept_code, doctor_code = optional(request.dept_code), optional(request.doctor_code)
    return list_schedules(deps.reader, start, end, dept_code, doctor_code)


def handle_remaining(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2004 remaining slots."""
    request = typed(incoming, his.RemainingSlots)
    start, end = date_range(request.start_date, request.end_date)
    dept_code, doctor_code = optional(request.dept_code), optional(request.doctor_code)
    return remaining_slots(deps.reader, start, end, dept_code, doctor_code)


def handle_slots(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2005 slot detail."""
    return slot_detail(deps.engine, typed(incoming, his.SlotDetail).schedule_id.strip())
