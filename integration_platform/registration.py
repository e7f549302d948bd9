"""Registration confirm (2008), records (2009) and query (2010)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from envelope import clock, codes
from envelope.canonical import canonical_bytes
from envelope.codes import EnvelopeError
from envelope.messages import his
from envelope.server import Incoming
from integration_platform.accounts import require_patient
from integration_platform.amounts import check_settlement
from integration_platform.deps import Deps
from integration_platform.fields import date_range, typed
from integration_platform.locking import guarded_slot_update, release_lapsed
from integration_platform.models import to_db_time
from integration_platform.tables import REGISTRATIONS, SCHEDULES
from integration_platform.views import (
    REG_BY_ORDER,
    REGISTRATION_ROW,
    lapsed_lock,
    registration_view,
)

_R, _SC = REGISTRATIONS.c, SCHEDULES.c
_HOLDS = ("LOCKED", "BOOKED", "CONFIRMED")
_HOLDS_ANOTHER = select(_R.lock_id).where(
    _R.mrn == bindparam("mrn"),
    _R.schedule_id == bindparam("schedule_id"),
    _R.status.in_(_HOLDS),
)
# The SET clause is the columns of the values passed with it.
_CONFIRM = update(REGISTRATIONS).where(
    _R.lock_id == bindparam("b_lock_id"), _R.status == bindparam("b_was")
)
_RECORDS = REGISTRATION_ROW.where(
    _R.mrn == bindparam("mrn"),
    _SC.visit_date >= bindparam("start"),
    _SC.visit_date <= bindparam("end"),
).order_by(_SC.visit_date, _R.created_at)


class _Changed(Exception):
    """The registration changed state under us; look again."""


def confirm_digest(lock_id: str, settlement: dict[str, Any]) -> str:
    """What makes two confirms of one order the same request."""
    payload = canonical_bytes({"lock_id": lock_id, "settlement": settlement})
    return hashlib.sha256(payload).hexdigest()


def _lapsed(reason: str) -> EnvelopeError:
    return EnvelopeError(codes.LOCK_EXPIRED, f"the lock expired and {reason}")


def _confirm_state(
    connection: Connection,
    reg: Mapping[Any, Any],
    settlement: dict[str, Any],
    digest: str,
    now: datetime,
) -> dict[str, Any]:
    """Move the registration, then its slot, to CONFIRMED; the fields that changed."""
    if reg["status"] == "RELEASED":
        held = connection.execute(
            _HOLDS_ANOTHER, {"mrn": reg["mrn"], "schedule_id": reg["schedule_id"]}
        ).first()
        if held is not None:
            raise _lapsed("the patient holds another slot of this clinic")
    suffix = reg["lock_id"][2:]
    values = {
        "status": "CONFIRMED",
        "reg_no": f"RG{suffix}",
        "visit_no": f"V{suffix}",
        "queue_no": reg["seq_no"],
        "location": reg["dept_location"] or reg["dept_name"],
        "settlement": json.dumps(settlement, ensure_ascii=False, sort_keys=True),
        "confirm_digest": digest,
        "confirmed_at": to_db_time(now),
    }
    won = connection.execute(
        _CONFIRM, {**values, "b_lock_id": reg["lock_id"], "b_was": reg["status"]}
    )
    if won.rowcount != 1:
        raise _Changed
    # The registration row is updated before the slot row, as release_lapsed does, so the
    # two can never wait on each other.
    if reg["status"] == "RELEASED":
        # A lapsed lock is confirmed only if its slot is still free to take back.
        if not guarded_slot_update(connection, reg["slot_id"], ("FREE",), "CONFIRMED"):
            raise _lapsed("its slot was taken")
    elif not guarded_slot_update(connection, reg["slot_id"], (reg["status"],), "CONFIRMED"):
        raise _Changed
    return values


def _confirm_once(
    connection: Connection, order_no: str, lock_id: str, settlement: dict[str, Any], now: datetime
) -> dict[str, Any]:
    row = connection.execute(REG_BY_ORDER, {"order_no": order_no}).first()
    if row is None:
        raise EnvelopeError(codes.RECORD_NOT_FOUND, "no lock for this order_no")
    reg = row._mapping
    digest = confirm_digest(lock_id, settlement)
    if reg["lock_id"] != lock_id:
        raise EnvelopeError(codes.DUPLICATE_ORDER, "order_no belongs to another lock")
    if reg["status"] == "CONFIRMED":
        if reg["confirm_digest"] != digest:
            raise EnvelopeError(codes.DUPLICATE_ORDER, "order already confirmed differently")
        return registration_view(reg)
    if reg["status"] == "CANCELLED":
        raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "the booking was cancelled")
    if reg["visit_date"] != now.astimezone(clock.SHANGHAI).date():
        raise EnvelopeError(codes.NOT_PAYABLE_TODAY, "a registration is paid on its clinic day")
    check_settlement(settlement, reg["total_fen"])
    changed = _confirm_state(connection, reg, settlement, digest, now)
    return registration_view({**reg, **changed})


def confirm_registration(
    engine: Engine,
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
            with engine.begin() as connection:
                return _confirm_once(connection, order_no, lock_id, settlement, moment)
        except (_Changed, IntegrityError):
            continue
    raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "the registration kept changing")


def query_registration(
    engine: Engine, order_no: str, now: datetime | None = None, *, reader: Engine | None = None
) -> dict[str, Any]:
    """2010: the registration of an order, or status NONE when the HIS never saw it; a lock
    that lapsed is released first, so the answer says RELEASED. ``reader`` serves the read
    (the engine itself when not given)."""
    moment = now or clock.now()
    with (reader or engine).connect() as connection:
        row = connection.execute(REG_BY_ORDER, {"order_no": order_no}).first()
    if row is None:
        return {"status": "NONE", "order_no": order_no}
    if lapsed_lock(row._mapping, moment):
        with engine.begin() as connection:
            release_lapsed(connection, moment, mrn=row.mrn, schedule_id=row.schedule_id)
            row = connection.execute(REG_BY_ORDER, {"order_no": order_no}).one()
    return registration_view(row._mapping)


def registration_records(engine: Engine, mrn: str, start: date, end: date) -> dict[str, Any]:
    """2009: a patient's registrations with a clinic day in the range (their lapsed locks
    released first)."""
    with engine.begin() as connection:
        require_patient(connection, mrn)
        release_lapsed(connection, clock.now(), mrn=mrn)
        rows = connection.execute(_RECORDS, {"mrn": mrn, "start": start, "end": end}).all()
    return {"registrations": [registration_view(row._mapping) for row in rows]}


def handle_confirm(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2008 registration confirm."""
    request = typed(incoming, his.ConfirmRegistration)
    return confirm_registration(
        deps.engine,
        order_no=request.order_no.strip(),
        lock_id=request.lock_id.strip(),
        settlement=request.settlement,
    )


def handle_records(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2009 registration records."""
    request = typed(incoming, his.RegistrationRecords)
    start, end = date_range(request.start_date, request.end_date)
    return registration_records(deps.engine, request.mrn.strip(), start, end)


def handle_query(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """2010 registration query."""
    order_no = typed(incoming, his.QueryRegistration).order_no.strip()
    return query_registration(deps.engine, order_no, reader=deps.reader)
