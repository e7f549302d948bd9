"""The clinic calendar: departments (2001), doctors (2002), schedules (2003), remaining
slots (2004) and the slots of a schedule (2005)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from envelope import codes
from envelope.codes import EnvelopeError
from envelope.server import Incoming
from integration_platform import fees
from integration_platform.context import current
from integration_platform.fields import date_range, optional_text, text
from integration_platform.locking import release_expired
from integration_platform.models import Department, Doctor, Schedule, Slot


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


def _schedule_query(
    session: Session, start: date, end: date, dept_code: str | None, doctor_code: str | None
) -> Select[Schedule, Doctor, Department]:
    query = (
        select(Schedule, Doctor, Department)
        .join(Doctor, Doctor.doctor_code == Schedule.doctor_code)
        .join(Department, Department.dept_code == Schedule.dept_code)
        .where(Schedule.visit_date >= start, Schedule.visit_date <= end)
        .order_by(Schedule.visit_date, Schedule.period, Schedule.dept_code, Schedule.doctor_code)
    )
    if dept_code:
        query = query.where(Schedule.dept_code.in_(_dept_family(session, dept_code)))
    if doctor_code:
        query = query.where(Schedule.doctor_code == doctor_code)
    return query


def remaining_by_schedule(session: Session, schedule_ids: Sequence[str]) -> dict[str, int]:
    """FREE slots per schedule."""
    if not schedule_ids:
        return {}
    rows = session.execute(
        select(Slot.schedule_id, func.count())
        .where(Slot.schedule_id.in_(schedule_ids), Slot.status == "FREE")
        .group_by(Slot.schedule_id)
    ).all()
    return {schedule_id: int(count) for schedule_id, count in rows}


def schedule_row(
    schedule: Schedule, doctor: Doctor, dept: Department, remaining: int
) -> dict[str, Any]:
    """One schedule as the envelope shows it (money in fen)."""
    level = fees.LEVELS.get(schedule.level)
    return {
        "schedule_id": schedule.schedule_id,
        "date": schedule.visit_date.isoformat(),
        "period": schedule.period,
        "dept_code": dept.dept_code,
        "dept_name": dept.name,
        "doctor_code": doctor.doctor_code,
        "doctor_name": doctor.name,
        "doctor_title": doctor.title,
        "level": schedule.level,
        "level_name": level.name if level else schedule.level,
        "reg_fee": schedule.reg_fee_fen,
        "diag_fee": schedule.diag_fee_fen,
        "total": schedule.total_fen,
        "capacity": schedule.capacity,
        "remaining": remaining,
    }


def list_schedules(
    sessions: sessionmaker[Session],
    start: date,
    end: date,
    dept_code: str | None = None,
    doctor_code: str | None = None,
) -> dict[str, Any]:
    """2003: schedules in a date range with live remaining counts."""
    release_expired(sessions)
    with sessions() as session:
        rows = session.execute(_schedule_query(session, start, end, dept_code, doctor_code)).all()
        remaining = remaining_by_schedule(session, [row[0].schedule_id for row in rows])
    return {
        "schedules": [
            schedule_row(s, doc, dept, remaining.get(s.schedule_id, 0)) for s, doc, dept in rows
        ]
    }


def remaining_slots(
    sessions: sessionmaker[Session],
    start: date,
    end: date,
    dept_code: str | None,
    doctor_code: str | None,
) -> dict[str, Any]:
    """2004: remaining slots per schedule, asked live."""
    if not dept_code and not doctor_code:
        raise EnvelopeError(codes.BODY_INVALID, "dept_code or doctor_code is required")
    listed = list_schedules(sessions, start, end, dept_code, doctor_code)["schedules"]
    return {
        "schedules": [
            {key: row[key] for key in ("schedule_id", "date", "period", "doctor_code", "remaining")}
            for row in listed
        ]
    }


def slot_detail(sessions: sessionmaker[Session], schedule_id: str) -> dict[str, Any]:
    """2005: the slots of a schedule with their status, or 2008."""
    release_expired(sessions)
    with sessions() as session:
        found = session.execute(
            select(Schedule, Doctor, Department)
            .join(Doctor, Doctor.doctor_code == Schedule.doctor_code)
            .join(Department, Department.dept_code == Schedule.dept_code)
            .where(Schedule.schedule_id == schedule_id)
        ).first()
        if found is None:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, "no schedule with this id")
        slots = session.scalars(
            select(Slot).where(Slot.schedule_id == schedule_id).order_by(Slot.seq_no)
        ).all()
    schedule, doctor, dept = found
    free = sum(1 for slot in slots if slot.status == "FREE")
    return {
        **schedule_row(schedule, doctor, dept, free),
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


def handle_departments(incoming: Incoming) -> dict[str, Any]:
    """2001 department list."""
    return list_departments(current().sessions)


def handle_doctors(incoming: Incoming) -> dict[str, Any]:
    """2002 doctor list."""
    return list_doctors(current().sessions, optional_text(incoming.body, "dept_code"))


def handle_schedules(incoming: Incoming) -> dict[str, Any]:
    """2003 schedule list."""
    start, end = date_range(incoming.body)
    return list_schedules(
        current().sessions,
        start,
        end,
        optional_text(incoming.body, "dept_code"),
        optional_text(incoming.body, "doctor_code"),
    )


def handle_remaining(incoming: Incoming) -> dict[str, Any]:
    """2004 remaining slots."""
    start, end = date_range(incoming.body)
    return remaining_slots(
        current().sessions,
        start,
        end,
        optional_text(incoming.body, "dept_code"),
        optional_text(incoming.body, "doctor_code"),
    )


def handle_slots(incoming: Incoming) -> dict[str, Any]:
    """2005 slot detail."""
    return slot_detail(current().sessions, text(incoming.body, "schedule_id"))
