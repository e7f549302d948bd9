"""Registration confirm (2008), records (2009) and query (2010)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.canonical import canonical_bytes
from envelope.codes import EnvelopeError
from envelope.server import Incoming
from integration_platform import fees
from integration_platform.accounts import find_patient
from integration_platform.amounts import check_settlement
from integration_platform.context import current
from integration_platform.fields import date_range, text
from integration_platform.locking import guarded_slot_update, release_expired
from integration_platform.models import (
    ACTIVE_HOLDS,
    Department,
    Registration,
    Schedule,
    Slot,
    from_db_time,
    to_db_time,
)
from servicekit.db import transaction


class _Changed(Exception):
    """The registration changed state under us; look again."""


def registration_view(session: Session, reg: Registration) -> dict[str, Any]:
    """Everything known about one order's registration (money in fen)."""
    schedule = session.get_one(Schedule, reg.schedule_id)
    slot = session.get_one(Slot, reg.slot_id)
    expires = from_db_time(reg.expires_at) if reg.expires_at else None
    return {
        "status": reg.status,
        "order_no": reg.order_no,
        "lock_id": reg.lock_id,
        "mrn": reg.mrn,
        "schedule_id": reg.schedule_id,
        "slot_id": reg.slot_id,
        "seq_no": slot.seq_no,
        "visit_date": schedule.visit_date.isoformat(),
        "period": schedule.period,
        "start_time": slot.start_time,
        "end_time": slot.end_time,
        "dept_code": schedule.dept_code,
        "doctor_code": schedule.doctor_code,
        "expires_at": clock.iso(expires) if expires else None,
        "fees": {"reg_fee": reg.reg_fee_fen, "diag_fee": reg.diag_fee_fen, "total": reg.total_fen},
        "items": fees.registration_items(schedule.level, reg.reg_fee_fen, reg.diag_fee_fen),
        "reg_no": reg.reg_no,
        "visit_no": reg.visit_no,
        "queue_no": reg.queue_no,
        "location": reg.location,
        "settlement": json.loads(reg.settlement) if reg.settlement else None,
    }


def confirm_digest(lock_id: str, settlement: dict[str, Any]) -> str:
    """What makes two confirms of one order the same request."""
    payload = canonical_bytes({"lock_id": lock_id, "settlement": settlement})
    return hashlib.sha256(payload).hexdigest()


def _lapsed(reason: str) -> EnvelopeError:
    return EnvelopeError(codes.LOCK_EXPIRED, f"the lock expired and {reason}")


def _holds_another(session: Session, reg: Registration) -> bool:
    """True when the patient holds a slot of this clinic under another order."""
    held = session.scalar(
        select(Registration.lock_id).where(
            Registration.mrn == reg.mrn,
            Registration.schedule_id == reg.schedule_id,
            Registration.status.in_(ACTIVE_HOLDS),
        )
    )
    return held is not None


def _confirm_state(
    session: Session, reg: Registration, settlement: dict[str, Any], digest: str, now: datetime
) -> None:
    dept = session.get_one(Department, session.get_one(Schedule, reg.schedule_id).dept_code)
    slot = session.get_one(Slot, reg.slot_id)
    if reg.status == "RELEASED" and _holds_another(session, reg):
        raise _lapsed("the patient holds another slot of this clinic")
    suffix = reg.lock_id[2:]
    won = session.execute(
        update(Registration)
        .where(Registration.lock_id == reg.lock_id, Registration.status == reg.status)
        .values(
            status="CONFIRMED",
            reg_no=f"RG{suffix}",
            visit_no=f"V{suffix}",
            queue_no=slot.seq_no,
            location=dept.location or dept.name,
            settlement=json.dumps(settlement, ensure_ascii=False, sort_keys=True),
            confirm_digest=digest,
            confirmed_at=to_db_time(now),
        )
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        raise _Changed
    # The registration row is updated before the slot row, as release_expired does, so the
    # two can never wait on each other.
    if reg.status == "RELEASED":
        # A lapsed lock is confirmed only if its slot is still free to take back.
        if not guarded_slot_update(session, reg.slot_id, ("FREE",), "CONFIRMED"):
            raise _lapsed("its slot was taken")
    elif not guarded_slot_update(session, reg.slot_id, (reg.status,), "CONFIRMED"):
        raise _Changed


def _confirm_once(
    session: Session, order_no: str, lock_id: str, settlement: dict[str, Any], now: datetime
) -> dict[str, Any]:
    reg = session.scalar(select(Registration).where(Registration.order_no == order_no))
    if reg is None:
        raise EnvelopeError(codes.RECORD_NOT_FOUND, "no lock for this order_no")
    digest = confirm_digest(lock_id, settlement)
    if reg.lock_id != lock_id:
        raise EnvelopeError(codes.DUPLICATE_ORDER, "order_no belongs to another lock")
    if reg.status == "CONFIRMED":
        if reg.confirm_digest != digest:
            raise EnvelopeError(codes.DUPLICATE_ORDER, "order already confirmed differently")
        return registration_view(session, reg)
    if reg.status == "CANCELLED":
        raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "the booking was cancelled")
    visit_date = session.get_one(Schedule, reg.schedule_id).visit_date
    if visit_date != now.astimezone(clock.SHANGHAI).date():
        raise EnvelopeError(codes.NOT_PAYABLE_TODAY, "a registration is paid on its clinic day")
    check_settlement(settlement, reg.total_fen)
    _confirm_state(session, reg, settlement, digest, now)
    session.refresh(reg)
    return registration_view(session, reg)


def confirm_registration(
    sessions: sessionmaker[Session],
    *,
    order_no: str,
    lock_id: str,
    settlement: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """2008: record the paid registration; the same confirm again gets the same answer."""
    moment = now or clock.now()
    for _ in range(3):
        try:
            with transaction(sessions) as session:
                return _confirm_once(session, order_no, lock_id, settlement, moment)
        except (_Changed, IntegrityError):
            continue
    raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "the registration kept changing")


def query_registration(sessions: sessionmaker[Session], order_no: str) -> dict[str, Any]:
    """2010: the registration of an order, or status NONE when the HIS never saw it."""
    release_expired(sessions)
    with sessions() as session:
        reg = session.scalar(select(Registration).where(Registration.order_no == order_no))
        if reg is None:
            return {"status": "NONE", "order_no": order_no}
        return registration_view(session, reg)


def registration_records(
    sessions: sessionmaker[Session], mrn: str, start: date, end: date
) -> dict[str, Any]:
    """2009: a patient's registrations with a clinic day in the range."""
    release_expired(sessions)
    with sessions() as session:
        find_patient(session, mrn)
        regs = session.scalars(
            select(Registration)
            .join(Schedule, Schedule.schedule_id == Registration.schedule_id)
            .where(
                Registration.mrn == mrn, Schedule.visit_date >= start, Schedule.visit_date <= end
            )
            .order_by(Schedule.visit_date, Registration.created_at)
        ).all()
        return {"registrations": [registration_view(session, reg) for reg in regs]}


def handle_confirm(incoming: Incoming) -> dict[str, Any]:
    """2008 registration confirm."""
    body = incoming.body
    return confirm_registration(
        current().sessions,
        order_no=text(body, "order_no"),
        lock_id=text(body, "lock_id"),
        settlement=body["settlement"],
    )


def handle_records(incoming: Incoming) -> dict[str, Any]:
    """2009 registration records."""
    start, end = date_range(incoming.body)
    return registration_records(current().sessions, text(incoming.body, "mrn"), start, end)


def handle_query(incoming: Incoming) -> dict[str, Any]:
    """2010 registration query."""
    return query_registration(current().sessions, text(incoming.body, "order_no"))
