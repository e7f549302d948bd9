"""Departments (cached daily) and schedules (remaining counts asked live)."""

from __future__ import annotations

from flask import Blueprint
from spectree import Response

from cloud_service import catalog
from cloud_service.api.auth import current_user_id
from cloud_service.api.context import deps, trace_id
from cloud_service.api.schemas import DepartmentList, ErrorOut, ScheduleList, ScheduleQuery
from cloud_service.api.spec import spec

bp = Blueprint("catalog", __name__, url_prefix="/api/v1")


@bp.get("/departments")
@spec.validate(resp=Response(HTTP_200=DepartmentList, HTTP_502=ErrorOut), tags=["booking"])
def departments() -> DepartmentList:
    """The hospital's departments."""
    current_user_id()
    return DepartmentList(departments=catalog.departments(deps(), trace_id()))


@bp.get("/schedules")
@spec.validate(
    query=ScheduleQuery, resp=Response(HTTP_200=ScheduleList, HTTP_400=ErrorOut), tags=["booking"]
)
def schedules(query: ScheduleQuery) -> ScheduleList:
    """Schedules between two dates, optionally of one department."""
    current_user_id()
    return ScheduleList(
        schedules=catalog.schedules(
            deps(),
            trace_id(),
            dept_code=query.dept_code,
            start_date=query.start_date,
            end_date=query.end_date,
        )
    )
