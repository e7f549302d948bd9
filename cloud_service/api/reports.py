"""Lab and exam reports of a bound record, six months back."""

from __future__ import annotations

from flask import Blueprint
from spectree import Response

from cloud_service import reports
from cloud_service.api.auth import current_user_id
from cloud_service.api.context import deps, trace_id
from cloud_service.api.schemas import ErrorOut, ReportDetail, ReportList, ReportQuery
from cloud_service.api.spec import spec

bp = Blueprint("reports", __name__, url_prefix="/api/v1")
_REFUSALS = {"HTTP_400": ErrorOut, "HTTP_404": ErrorOut, "HTTP_409": ErrorOut, "HTTP_502": ErrorOut}


@bp.get("/patients/<mrn>/reports")
@spec.validate(query=ReportQuery, resp=Response(HTTP_200=ReportList, **_REFUSALS), tags=["reports"])
def list_reports(mrn: str, query: ReportQuery) -> ReportList:
    """The record's lab (kind=lab) or exam (kind=exam) reports."""
    rows = reports.list_reports(deps(), current_user_id(), mrn, query.kind, trace_id())
    return ReportList(reports=rows)


@bp.get("/patients/<mrn>/reports/<report_id>")
@spec.validate(
    query=ReportQuery, resp=Response(HTTP_200=ReportDetail, **_REFUSALS), tags=["reports"]
)
def detail(mrn: str, report_id: str, query: ReportQuery) -> ReportDetail:
    """One report of the record: values with ranges and flags, or findings and conclusion."""
    report = reports.report_detail(
        deps(), current_user_id(), mrn, report_id, query.kind, trace_id()
    )
    return ReportDetail(report=report)
