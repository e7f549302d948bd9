"""One registration as the envelope shows it (2006, 2008, 2009, 2010), read by one joined
statement: the registration with its slot, schedule and department."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from envelope import clock
from integration_platform import fees
from integration_platform.models import from_db_time, to_db_time
from integration_platform.tables import DEPARTMENTS, REGISTRATIONS, SCHEDULES, SLOTS

_R, _S, _SC, _D = REGISTRATIONS.c, SLOTS.c, SCHEDULES.c, DEPARTMENTS.c

REGISTRATION_ROW = (
    select(
        *(
            _R[name]
            for name in (
                "lock_id",
                "order_no",
                "mrn",
                "schedule_id",
                "slot_id",
                "status",
                "reg_fee_fen",
                "diag_fee_fen",
                "total_fen",
                "created_at",
                "expires_at",
                "reg_no",
                "visit_no",
                "queue_no",
                "location",
                "settlement",
                "confirm_digest",
            )
        ),
        _S.seq_no,
        _S.start_time,
        _S.end_time,
        _SC.visit_date,
        _SC.period,
        _SC.level,
        _SC.dept_code,
        _SC.doctor_code,
        _D.name.label("dept_name"),
        _D.location.label("dept_location"),
    )
    .join(SLOTS, _S.slot_id == _R.slot_id)
    .join(SCHEDULES, _SC.schedule_id == _R.schedule_id)
    .join(DEPARTMENTS, _D.dept_code == _SC.dept_code)
)
REG_BY_ORDER = REGISTRATION_ROW.where(_R.order_no == bindparam("order_no"))


def lapsed_lock(reg: Mapping[Any, Any], now: datetime) -> bool:
    """True for a same-day lock whose time ran out but that no request has released yet."""
    expires = reg["expires_at"]
    return reg["status"] == "LOCKED" and expires is not None and expires < to_db_time(now)


def _expires(reg: Mapping[Any, Any]) -> str | None:
    stored = reg["expires_at"]
    return clock.iso(from_db_time(stored)) if stored else None


def _fees(reg: Mapping[Any, Any]) -> dict[str, int]:
    return {
        "reg_fee": reg["reg_fee_fen"],
        "diag_fee": reg["diag_fee_fen"],
        "total": reg["total_fen"],
    }


def lock_view(reg: Mapping[Any, Any], slot: Mapping[Any, Any]) -> dict[str, Any]:
    """The answer of 2006 for a lock or booking (money in fen); ``slot`` carries the slot's
    seq_no, start_time, end_time and the schedule's visit_date."""
    return {
        "lock_id": reg["lock_id"],
        "order_no": reg["order_no"],
        "status": reg["status"],
        "expires_at": _expires(reg),
        "mrn": reg["mrn"],
        "schedule_id": reg["schedule_id"],
        "slot_id": reg["slot_id"],
        "seq_no": slot["seq_no"],
        "start_time": slot["start_time"],
        "end_time": slot["end_time"],
        "visit_date": slot["visit_date"].isoformat(),
        "fees": _fees(reg),
    }


def registration_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Everything known about one order's registration (money in fen), from a
    REGISTRATION_ROW (updated fields may be laid over it)."""
    settlement = row["settlement"]
    return {
        "status": row["status"],
        "order_no": row["order_no"],
        "lock_id": row["lock_id"],
        "mrn": row["mrn"],
        "schedule_id": row["schedule_id"],
        "slot_id": row["slot_id"],
        "seq_no": row["seq_no"],
        "visit_date": row["visit_date"].isoformat(),
        "period": row["period"],
        "start_time": row["start_time"],
        "end_time": row["end_time"],
        "dept_code": row["dept_code"],
        "doctor_code": row["doctor_code"],
        "expires_at": _expires(row),
        "fees": _fees(row),
        "items": fees.registration_items(row["level"], row["reg_fee_fen"], row["diag_fee_fen"]),
        "reg_no": row["reg_no"],
        "visit_no": row["visit_no"],
        "queue_no": row["queue_no"],
        "location": row["location"],
        "settlement": json.loads(settlement) if settlement else None,
    }
