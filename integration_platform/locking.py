"""Slot locks and bookings (2006), unlock or cancel (2007), and releasing expired locks.

A slot changes hands only through a guarded UPDATE (``... WHERE status = 'FREE'``) whose
row count says who won, so no slot is sold twice, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from envelope.server import Incoming
from integration_platform.accounts import lock_patient
from integration_platform.context import current
from integration_platform.fields import optional_text, text
from integration_platform.models import (
    ACTIVE_HOLDS,
    Registration,
    Schedule,
    Slot,
    from_db_time,
    to_db_time,
)
from servicekit.db import transaction

ONE_A_DAY = "该就诊人当天在该科室已有挂号，同一科室每天只能挂一个号"


def release_expired(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """Return every lapsed same-day lock's slot to FREE, exactly once; the count released."""
    cutoff = to_db_time(now or clock.now())
    released = 0
    with transaction(sessions) as session:
        lapsed = session.execute(
            select(Registration.lock_id, Registration.slot_id).where(
                Registration.status == "LOCKED", Registration.expires_at < cutoff
            )
        ).all()
        for lock_id, slot_id in lapsed:
            won = session.execute(
                update(Registration)
                .where(
                    Registration.lock_id == lock_id,
                    Registration.status == "LOCKED",
                    Registration.expires_at < cutoff,
                )
                .values(status="RELEASED")
                .execution_options(synchronize_session=False)
            )
            if won.rowcount == 1:  # type: ignore[attr-defined]
                session.execute(
                    update(Slot)
                    .where(Slot.slot_id == slot_id, Slot.status == "LOCKED")
                    .values(status="FREE")
                    .execution_options(synchronize_session=False)
                )
                released += 1
    return released


def guarded_slot_update(
    session: Session, slot_id: str, expected: tuple[str, ...], new_status: str
) -> bool:
    """Move a slot from one of the expected states to a new one; True when this call won."""
    result = session.execute(
        update(Slot)
        .where(Slot.slot_id == slot_id, Slot.status.in_(expected))
        .values(status=new_status)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _take_slot(session: Session, schedule_id: str, slot_id: str | None, new_status: str) -> Slot:
    """Take the named slot, or the first free one of the schedule, by a guarded update."""
    if slot_id:
        slot = session.scalar(
            select(Slot).where(Slot.schedule_id == schedule_id, Slot.slot_id == slot_id)
        )
        if slot is None:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, "no such slot in this schedule")
        if guarded_slot_update(session, slot.slot_id, ("FREE",), new_status):
            return slot
        raise EnvelopeError(codes.SLOT_SOLD_OUT, "this slot is taken")
    # During a rush every request wants "the first free slot". Each takes the first one no
    # other transaction has locked (SKIP LOCKED on PostgreSQL; SQLite runs writers one at a
    # time anyway), instead of queueing on the same row. Only when none is left unlocked does
    # it wait for the others, to see whether one of them gave its slot back.
    for skip_locked in (True, False):
        slot = session.scalar(
            select(Slot)
            .where(Slot.schedule_id == schedule_id, Slot.status == "FREE")
            .order_by(Slot.seq_no)
            .limit(1)
            .with_for_update(skip_locked=skip_locked)
        )
        if slot is not None and guarded_slot_update(session, slot.slot_id, ("FREE",), new_status):
            return slot
    raise EnvelopeError(codes.SLOT_SOLD_OUT, "no free slot left in this schedule")


def lock_view(reg: Registration, slot: Slot, visit_date: str) -> dict[str, Any]:
    """The answer of 2006 for a lock or booking (money in fen)."""
    expires = from_db_time(reg.expires_at) if reg.expires_at else None
    return {
        "lock_id": reg.lock_id,
        "order_no": reg.order_no,
        "status": reg.status,
        "expires_at": clock.iso(expires) if expires else None,
        "mrn": reg.mrn,
        "schedule_id": reg.schedule_id,
        "slot_id": reg.slot_id,
        "seq_no": slot.seq_no,
        "start_time": slot.start_time,
        "end_time": slot.end_time,
        "visit_date": visit_date,
        "fees": {"reg_fee": reg.reg_fee_fen, "diag_fee": reg.diag_fee_fen, "total": reg.total_fen},
    }


def _repeat(
    session: Session, reg: Registration, schedule_id: str, slot_id: str | None, mrn: str
) -> dict[str, Any]:
    if (reg.schedule_id, reg.mrn) != (schedule_id, mrn) or (slot_id and slot_id != reg.slot_id):
        raise EnvelopeError(codes.DUPLICATE_ORDER, "order_no already used for another lock")
    slot = session.get_one(Slot, reg.slot_id)
    schedule = session.get_one(Schedule, reg.schedule_id)
    return lock_view(reg, slot, schedule.visit_date.isoformat())


def _lockable_schedule(session: Session, schedule_id: str, mrn: str, now: datetime) -> Schedule:
    """The schedule, once the patient, the day, the one-slot rule and the one registration
    per department a day allow a lock."""
    lock_patient(session, mrn)  # serializes this patient's locks: the checks below hold
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise EnvelopeError(codes.RECORD_NOT_FOUND, "no schedule with this id")
    if schedule.visit_date < now.astimezone(clock.SHANGHAI).date():
        raise EnvelopeError(codes.NOT_PAYABLE_TODAY, "this clinic day has passed")
    held = session.scalar(
        select(Registration.lock_id).where(
            Registration.mrn == mrn,
            Registration.schedule_id == schedule_id,
            Registration.status.in_(ACTIVE_HOLDS),
        )
    )
    if held is not None:
        raise EnvelopeError(codes.ALREADY_HOLDS_SLOT)
    same_department = session.scalar(
        select(Registration.lock_id)
        .join(Schedule, Schedule.schedule_id == Registration.schedule_id)
        .where(
            Registration.mrn == mrn,
            Registration.status.in_(ACTIVE_HOLDS),
            Schedule.dept_code == schedule.dept_code,
            Schedule.visit_date == schedule.visit_date,
        )
        .limit(1)
    )
    if same_department is not None:
        raise EnvelopeError(codes.REGISTRATION_LIMIT, ONE_A_DAY)
    return schedule


def _lock_once(
    session: Session,
    *,
    schedule_id: str,
    slot_id: str | None,
    mrn: str,
    order_no: str,
    lock_minutes: int,
    now: datetime,
) -> dict[str, Any]:
    earlier = session.scalar(select(Registration).where(Registration.order_no == order_no))
    if earlier is not None:
        return _repeat(session, earlier, schedule_id, slot_id, mrn)
    schedule = _lockable_schedule(session, schedule_id, mrn, now)
    today = now.astimezone(clock.SHANGHAI).date()
    same_day = schedule.visit_date == today
    status = "LOCKED" if same_day else "BOOKED"
    slot = _take_slot(session, schedule_id, slot_id, status)
    reg = Registration(
        lock_id=f"LK{now.strftime('%Y%m%d%H%M%S')}{secrets.token_hex(4).upper()}",
        order_no=order_no,
        mrn=mrn,
        schedule_id=schedule_id,
        slot_id=slot.slot_id,
        status=status,
        reg_fee_fen=schedule.reg_fee_fen,
        diag_fee_fen=schedule.diag_fee_fen,
        total_fen=schedule.total_fen,
        created_at=to_db_time(now),
        expires_at=to_db_time(now + timedelta(minutes=lock_minutes)) if same_day else None,
    )
    session.add(reg)
    session.flush()
    return lock_view(reg, slot, schedule.visit_date.isoformat())


def lock_slot(
    sessions: sessionmaker[Session],
    *,
    schedule_id: str,
    slot_id: str | None,
    mrn: str,
    order_no: str,
    lock_minutes: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """2006: lock a same-day slot for payment or book a future one; idempotent on order_no."""
    moment = now or clock.now()
    release_expired(sessions, moment)
    for _ in range(3):
        try:
            with transaction(sessions) as session:
                return _lock_once(
                    session,
                    schedule_id=schedule_id,
                    slot_id=slot_id,
                    mrn=mrn,
                    order_no=order_no,
                    lock_minutes=lock_minutes,
                    now=moment,
                )
        except IntegrityError:
            # A concurrent request with this order_no, or by this patient, won the insert;
            # looking again answers the repeat or refuses the second hold.
            continue
    raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "concurrent requests for this order")


def cancel_cutoff(session: Session, reg: Registration, cutoff_minutes: int) -> datetime:
    """The last moment a booking may be cancelled: its clinic period's start, less the margin."""
    schedule = session.get_one(Schedule, reg.schedule_id)
    first = session.scalar(
        select(Slot.start_time).where(Slot.schedule_id == reg.schedule_id).order_by(Slot.seq_no)
    )
    starts = time.fromisoformat(first or "00:00")
    opening = datetime.combine(schedule.visit_date, starts, clock.SHANGHAI)
    return opening - timedelta(minutes=cutoff_minutes)


def _check_cutoff(session: Session, reg: Registration, cutoff_minutes: int, now: datetime) -> None:
    # An unpaid same-day lock may always be let go (it lapses by itself anyway); a booking
    # holds a numbered place in the clinic and is cancelled only until the cut-off.
    if reg.status != "BOOKED":
        return
    cutoff = cancel_cutoff(session, reg, cutoff_minutes)
    if now > cutoff:
        raise EnvelopeError(
            codes.PAST_CUTOFF,
            f"bookings can be cancelled until {clock.iso(cutoff)}; ask at the hospital window",
        )


def unlock(
    sessions: sessionmaker[Session],
    lock_id: str,
    mrn: str,
    cutoff_minutes: int = 0,
    now: datetime | None = None,
) -> dict[str, Any]:
    """2007: release a lock or cancel a booking (until the cut-off); a repeat answers the same."""
    moment = now or clock.now()
    with transaction(sessions) as session:
        reg = session.get(Registration, lock_id)
        if reg is None:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, "no lock with this id")
        if reg.mrn != mrn:
            raise EnvelopeError(codes.PATIENT_MISMATCH)
        if reg.status in ("RELEASED", "CANCELLED"):
            return {"lock_id": lock_id, "order_no": reg.order_no, "status": reg.status}
        if reg.status not in ("LOCKED", "BOOKED"):
            raise EnvelopeError(
                codes.ORDER_STATE_CONFLICT, "a confirmed registration is refunded at the window"
            )
        _check_cutoff(session, reg, cutoff_minutes, moment)
        new_status = "RELEASED" if reg.status == "LOCKED" else "CANCELLED"
        won = session.execute(
            update(Registration)
            .where(Registration.lock_id == lock_id, Registration.status == reg.status)
            .values(status=new_status)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "the lock changed meanwhile")
        guarded_slot_update(session, reg.slot_id, (reg.status,), "FREE")
    return {"lock_id": lock_id, "order_no": reg.order_no, "status": new_status}


def handle_lock(incoming: Incoming) -> dict[str, Any]:
    """2006 slot lock / book."""
    body, context = incoming.body, current()
    return lock_slot(
        context.sessions,
        schedule_id=text(body, "schedule_id"),
        slot_id=optional_text(body, "slot_id"),
        mrn=text(body, "mrn"),
        order_no=text(body, "order_no"),
        lock_minutes=context.settings.lock_minutes,
    )


def handle_unlock(incoming: Incoming) -> dict[str, Any]:
    """2007 unlock / cancel booking."""
    context = current()
    return unlock(
        context.sessions,
        text(incoming.body, "lock_id"),
        text(incoming.body, "mrn"),
        context.settings.cancel_cutoff_minutes,
    )
