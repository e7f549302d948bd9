"""The HIS tables as SQLAlchemy Core tables, for the hot paths' prebuilt statements (no ORM
unit of work: a message's statements are compiled once and run on one connection)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from integration_platform.models import (
    Department,
    Doctor,
    Patient,
    Registration,
    Schedule,
    Slot,
)

PATIENTS = cast(Table, Patient.__table__)
DEPARTMENTS = cast(Table, Department.__table__)
DOCTORS = cast(Table, Doctor.__table__)
SCHEDULES = cast(Table, Schedule.__table__)
SLOTS = cast(Table, Slot.__table__)
REGISTRATIONS = cast(Table, Registration.__table__)
