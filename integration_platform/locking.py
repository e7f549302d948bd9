"""Slot locks and bookings (2006), unlock or cancel (2007), and releasing expired locks.

A slot changes hands only through a guarded UPDATE (``... WHERE status = 'FREE'``) whose
row count says who won, so no slot is sold twice, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from envelope.messages import his
from envelope.server import Incoming
from integration_platform.deps import Deps
from integration_platform.fields import optional, typed
from integration_platform.models import Registration, Schedule, Slot, to_db_time
from integration_platform.tables import PATIENTS, REGISTRATIONS, SCHEDULES, SLOTS
from integration_platform.views import REG_BY_ORDER, lapsed_lock, lock_view
from servicekit.db import transaction

ONE_A_DAY = "该就诊人当天在该科室已有挂号，同一科室每天只能挂一个号"

_R, _S, _SC = REGISTRATIONS.c, SLOTS.c, SCHEDULES.c
_HOLDS = ("LOCKED", "BOOKED", "CONFIRMED")


def _release_statement(near: bool) -> Any:
    # Lapsed locks another transaction holds are skipped (SKIP LOCKED on PostgreSQL): that
    # one is releasing or confirming them, so two releases never wait on each other.
    lapsed = select(_R.lock_id).where(_R.status == "LOCKED", _R.expires_at < bindparam("cutoff"))
    if near:
        lapsed = lapsed.where(
            or_(_R.mrn == bindparam("b_mrn"), _R.schedule_id == bindparam("b_schedule_id"))
        )
    return (
        update(REGISTRATIONS)
        .where(_R.lock_id.in_(lapsed.with_for_update(skip_locked=True)), _R.status == "LOCKED")
        .values(status="RELEASED")
        .returning(_R.slot_id)
    )


_RELEASE_ALL = _release_statement(near=False)
_RELEASE_NEAR = _release_statement(near=True)
_FREE_RELEASED = (
    update(SLOTS)
    .where(_S.slot_id.in_(bindparam("slot_ids", expanding=True)), _S.status == "LOCKED")
    .values(status="FREE")
)
_MOVE_SLOT = (
    update(SLOTS)
    .where(
        _S.slot_id == bindparam("b_slot_id"), _S.status.in_(bindparam("expected", expanding=True))
    )
    .values(status=bindparam("new_status"))
)
_OTHER = SCHEDULES.alias("other")


def _holds(*where: Any) -> Any:
    held = (
        select(_R.lock_id)
        .join(_OTHER, _OTHER.c.schedule_id == _R.schedule_id)
        .where(_R.mrn == bindparam("b_mrn"), _R.status.in_(_HOLDS), *where)
    )
    return held.exists()


# The schedule and what the patient already holds of it, and of its department that day,
# in one statement.
_SCHEDULE = select(
    _SC.visit_date,
    _SC.dept_code,
    _SC.reg_fee_fen,
    _SC.diag_fee_fen,
    _SC.total_fen,
    _holds(_OTHER.c.schedule_id == _SC.schedule_id).label("held_here"),
    _holds(_OTHER.c.dept_code == _SC.dept_code, _OTHER.c.visit_date == _SC.visit_date).label(
        "held_that_day"
    ),
).where(_SC.schedule_id == bindparam("b_schedule_id"))
_SLOT_RETURNS = (_S.slot_id, _S.seq_no, _S.start_time, _S.end_time)
_TAKE_NAMED = (
    update(SLOTS)
    .where(
        _S.slot_id == bindparam("b_slot_id"),
        _S.schedule_id == bindparam("b_schedule_id"),
        _S.status == "FREE",
    )
    .values(status=bindparam("new_status"))
    .returning(*_SLOT_RETURNS)
)
_SLOT_EXISTS = select(_S.slot_id).where(
    _S.slot_id == bindparam("b_slot_id"), _S.schedule_id == bindparam("b_schedule_id")
)


def _take_first(skip_locked: bool) -> Any:
    first_free = (
        select(_S.slot_id)
        .where(_S.schedule_id == bindparam("b_schedule_id"), _S.status == "FREE")
        .order_by(_S.seq_no)
        .limit(1)
        .with_for_update(skip_locked=skip_locked)
        .scalar_subquery()
    )
    return (
        update(SLOTS)
        .where(_S.slot_id == first_free, _S.status == "FREE")
        .values(status=bindparam("new_status"))
        .returning(*_SLOT_RETURNS)
    )


# During a rush every request wants "the first free slot". Each takes the first one no other
# transaction has locked (SKIP LOCKED on PostgreSQL; SQLite runs writers one at a time
# anyway), instead of queueing on the same row. Only when none is left unlocked does it wait
# for the others, to see whether one of them gave its slot back.
_TAKE_FIRST = (_take_first(skip_locked=True), _take_first(skip_locked=False))
_INSERT = insert(REGISTRATIONS)
_ORDER_SEEN = select(_R.lock_id).where(_R.order_no == bindparam("b_order_no"))
# The patient's row locked until the transaction ends (FOR UPDATE on PostgreSQL; SQLite's
# writers are serial already), which serializes this patient's locks so that the checks
# after it hold, and whether the order is known already: one statement.
_LOCK_PATIENT = (
    select(PATIENTS.c.mrn, _ORDER_SEEN.scalar_subquery().label("seen"))
    .where(PATIENTS.c.mrn == bindparam("b_mrn"))
    .with_for_update(of=PATIENTS)
)


def release_lapsed(
    connection: Connection, now: datetime, *, mrn: str | None = None, schedule_id: str = ""
) -> int:
    """Inside the caller's transaction: return the lapsed same-day locks (every one, or only
    this patient's and this schedule's when ``mrn`` is given) and their slots to FREE,
    exactly once; the count released. Nothing lapsed costs one indexed statement."""
    cutoff = to_db_time(now)
    if mrn is None:
        rows = connection.execute(_RELEASE_ALL, {"cutoff": cutoff}).all()
    else:
        params = {"cutoff": cutoff, "b_mrn": mrn, "b_schedule_id": schedule_id}
        rows = connection.execute(_RELEASE_NEAR, params).all()
    if rows:
        connection.execute(_FREE_RELEASED, {"slot_ids": [row.slot_id for row in rows]})
    return len(rows)


def guarded_slot_update(
    db: Connection | Session, slot_id: str, expected: tuple[str, ...], new_status: str
) -> bool:
    """Move a slot from one of the expected states to a new one; True when this call won."""
    params = {"b_slot_id": slot_id, "expected": list(expected), "new_status": new_status}
    result = db.execute(_MOVE_SLOT, params)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _take_slot(
    connection: Connection, schedule_id: str, slot_id: str | None, new_status: str
) -> Any:
    """Take the named slot, or the first free one of the schedule, by a guarded update."""
    params = {"b_schedule_id": schedule_id, "b_slot_id": slot_id, "new_status": new_status}
    if slot_id:
        taken = connection.execute(_TAKE_NAMED, params).first()
        if taken is not None:
            return taken
        if connection.execute(_SLOT_EXISTS, params).first() is None:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, "no such slot in this schedule")
        raise EnvelopeError(codes.SLOT_SOLD_OUT, "this slot is taken")
    for statement in _TAKE_FIRST:
        taken = connection.execute(statement, params).first()
        if taken is not None:
            return taken
    raise EnvelopeError(codes.SLOT_SOLD_OUT, "no free slot left in this schedule")


def _repeat(
    connection: Connection,
    order_no: str,
    schedule_id: str,
    slot_id: str | None,
    mrn: str,
    now: datetime,
) -> dict[str, Any]:
    """The answer to a lock asked again for a known order (a lapsed one released first, so
    it answers RELEASED as a query would), or 2007 when the request is another."""
    row = connection.execute(REG_BY_ORDER, {"order_no": order_no}).one()
    if lapsed_lock(row._mapping, now):
        release_lapsed(connection, now, mrn=row.mrn, schedule_id=row.schedule_id)
        row = connection.execute(REG_BY_ORDER, {"order_no": order_no}).one()
    if (row.schedule_id, row.mrn) != (schedule_id, mrn) or (slot_id and slot_id != row.slot_id):
        raise EnvelopeError(codes.DUPLICATE_ORDER, "order_no already used for another lock")
    return lock_view(row._mapping, row._mapping)


def _lockable_schedule(connection: Connection, schedule_id: str, mrn: str, now: datetime) -> Any:
    """The schedule, once the day, the one-slot rule and the one registration per department
    a day allow the (locked) patient a lock."""
    release_lapsed(connection, now, mrn=mrn, schedule_id=schedule_id)
    params = {"b_schedule_id": schedule_id, "b_mrn": mrn}
    schedule = connection.execute(_SCHEDULE, params).first()
    if schedule is None:
        raise EnvelopeError(codes.RECORD_NOT_FOUND, "no schedule with this id")
    if schedule.visit_date < now.astimezone(clock.SHANGHAI).date():
        raise EnvelopeError(codes.NOT_PAYABLE_TODAY, "this clinic day has passed")
    if schedule.held_here:
        raise EnvelopeError(codes.ALREADY_HOLDS_SLOT)
    if schedule.held_that_day:
        raise EnvelopeError(codes.REGISTRATION_LIMIT, ONE_A_DAY)
    return schedule


def _lock_once(
    connection: Connection,
    *,
    schedule_id: str,
    slot_id: str | None,
    mrn: str,
    order_no: str,
    lock_minutes: int,
    now: datetime,
) -> dict[str, Any]:
    params = {"b_mrn": mrn, "b_order_no": order_no}
    patient = connection.execute(_LOCK_PATIENT, params).first()
    seen = patient.seen if patient else connection.execute(_ORDER_SEEN, params).scalar()
    if seen is not None:
        return _repeat(connection, order_no, schedule_id, slot_id, mrn, now)
    if patient is None:
        raise EnvelopeError(codes.PATIENT_NOT_FOUND, "no patient with this record number")
    schedule = _lockable_schedule(connection, schedule_id, mrn, now)
    same_day = schedule.visit_date == now.astimezone(clock.SHANGHAI).date()
    status = "LOCKED" if same_day else "BOOKED"
    slot = _take_slot(connection, schedule_id, slot_id, status)
    reg = {
        "lock_id": f"LK{now.strftime('%Y%m%d%H%M%S')}{secrets.token_hex(4).upper()}",
        "order_no": order_no,
        "mrn": mrn,
        "schedule_id": schedule_id,
        "slot_id": slot.slot_id,
        "status": status,
        "reg_fee_fen": schedule.reg_fee_fen,
        "diag_fee_fen": schedule.diag_fee_fen,
        "total_fen": schedule.total_fen,
        "created_at": to_db_time(now),
        "expires_at": to_db_time(now + timedelta(minutes=lock_minutes)) if same_day else None,
    }
    connection.execute(_INSERT, reg)
    return lock_view(reg, {**slot._mapping, "visit_date": schedule.visit_date})


def lock_slot(
    engine: Engine,
    *,
    schedule_id: str,
    slot_id: str | None,
    mrn: str,
    order_no: str,
    lock_minutes: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """2006: lock a same-day slot for payment or book a future one; idempotent on order_no.
    One transaction: the patient's lock, lapsed locks near it released, the guarded slot
    update and the registration row."""
    moment = now or clock.now()
    for _ in range(3):
        try:
            with engine.begin() as connection:
                return _lock_once(
                    connection,
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


def handle_lock(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2006 slot lock / book."""
    request = typed(incoming, his.LockSlot)
    return lock_slot(
        deps.engine,
        schedule_id=request.schedule_id.strip(),
        slot_id=optional(request.slot_id),
        mrn=request.mrn.strip(),
        order_no=request.order_no.strip(),
        lock_minutes=deps.settings.lock_minutes,
    )


def handle_unlock(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2007 unlock / cancel booking."""
    request = typed(incoming, his.UnlockSlot)
    return unlock(
        deps.sessions,
        request.lock_id.strip(),
        request.mrn.strip(),
        deps.settings.cancel_cutoff_minutes,
    )
