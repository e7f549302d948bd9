"""Departments, doctors and schedules (cached daily), remaining counts and slots (live)."""

from __future__ import annotations

from flask import Blueprint
from spectree import Response

from cloud_service import catalog
from cloud_service.api.auth import current_user_id
from cloud_service.api.context import deps, trace_id
from cloud_service.api.schemas import (
    DepartmentList,
    DoctorList,
    DoctorQuery,
    ErrorOut,
    ScheduleList,
    ScheduleQuery,
    SlotList,
)
from cloud_service.api.spec import spec

bp = Blueprint("catalog", __name__, url_prefix="/api/v1")
_REFUSALS = {"HTTP_400": ErrorOut, "HTTP_404": ErrorOut, "HTTP_502": ErrorOut}


@bp.get("/departments")
@spec.validate(resp=Response(HTTP_200=DepartmentList, HTTP_502=ErrorOut), tags=["booking"])
def departments() -> DepartmentList:
    """The hospital's departments."""
    current_user_id()
    return DepartmentList(departments=catalog.departments(deps(), trace_id()))


@bp.get("/doctors")
@spec.validate(query=DoctorQuery, resp=Response(HTTP_200=DoctorList, **_REFUSALS), tags=["booking"])
def doctors(query: DoctorQuery) -> DoctorList:
    """The doctors, of one department (and its sub-departments) when given."""
    current_user_id()
    return DoctorList(doctors=catalog.doctors(deps(), trace_id(), query.dept_code))


@bp.get("/schedules")
@spec.validate(
    query=ScheduleQuery, resp=Response(HTTP_200=ScheduleList, **_REFUSALS), tags=["booking"]
)
def schedules(query: ScheduleQuery) -> ScheduleList:
    """Schedules between two dates, of a department or doctor if given; remaining is live."""
    current_user_id()
    return ScheduleList(
        schedules=catalog.schedules(
            deps(),
            trace_id(),
            start_date=query.start_date,
            end_date=query.end_date,
            dept_code=query.dept_code,
            doctor_code=query.doctor_code,
        )
    )


@bp.get("/schedules/<schedule_id>/slots")
@spec.validate(resp=Response(HTTP_200=SlotList, **_REFUSALS), tags=["booking"])
def slots(schedule_id: str) -> SlotList:
    """The numbered slots of a schedule with their status, asked live."""
    current_user_id()
    return SlotList(**catalog.slots(deps(), trace_id(), schedule_id))
