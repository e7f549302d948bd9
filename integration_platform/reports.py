"""Lab and exam reports (5001-5004): only the patient's own, and only six months back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from envelope.messages import his
from envelope.server import Incoming
from integration_platform.accounts import find_patient
from integration_platform.deps import Deps
from integration_platform.fields import date_range, typed
from integration_platform.models import ExamReport, LabReport, LabReportItem, to_db_time
from integration_platform.models import from_db_time as shown

VISIBLE_MONTHS = 6


def earliest_visible(today: date) -> date:
    """The first day whose reports a patient may still read: six months back."""
    month = today.month - VISIBLE_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (today.day, 30, 29, 28):  # the same day, or the month's last when shorter
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _window(start: date, end: date) -> tuple[datetime, datetime]:
    first = max(start, earliest_visible(clock.today()))
    return (
        to_db_time(datetime.combine(first, time.min, clock.SHANGHAI)),
        to_db_time(datetime.combine(end + timedelta(days=1), time.min, clock.SHANGHAI)),
    )


def _summary(report: LabReport | ExamReport, kind: str) -> dict[str, Any]:
    return {
        "report_id": report.report_id,
        "kind": kind,
        "mrn": report.mrn,
        "visit_no": report.visit_no,
        "title": report.title,
        "dept_code": report.dept_code,
        "reported_at": clock.iso(shown(report.reported_at)),
    }


def list_reports(
    sessions: sessionmaker[Session], kind: str, mrn: str, start: date, end: date
) -> dict[str, Any]:
    """5001 (LAB) and 5002 (EXAM): the patient's reports in the range, six months at most."""
    model: type[LabReport] | type[ExamReport] = LabReport if kind == "LAB" else ExamReport
    low, high = _window(start, end)
    with sessions() as session:
        find_patient(session, mrn)
        found = session.scalars(
            select(model)
            .where(model.mrn == mrn, model.reported_at >= low, model.reported_at < high)
            .order_by(model.reported_at.desc())
        ).all()
    rows = cast(Sequence[LabReport | ExamReport], found)
    return {"reports": [_summary(report, kind) for report in rows]}


def _visible(
    session: Session, model: type[LabReport] | type[ExamReport], report_id: str, mrn: str
) -> LabReport | ExamReport:
    report = (
        session.get(LabReport, report_id)
        if model is LabReport
        else session.get(ExamReport, report_id)
    )
    if report is None:
        raise EnvelopeError(codes.RECORD_NOT_FOUND, "no report with this id")
    if report.mrn != mrn:
        raise EnvelopeError(codes.PATIENT_MISMATCH)
    if shown(report.reported_at).date() < earliest_visible(clock.today()):
        raise EnvelopeError(codes.RECORD_NOT_FOUND, "reports older than six months are not shown")
    return report


def lab_report(sessions: sessionmaker[Session], report_id: str, mrn: str) -> dict[str, Any]:
    """5003: a lab report with its values, reference ranges and abnormal flags."""
    with sessions() as session:
        report = _visible(session, LabReport, report_id, mrn)
        items = session.scalars(
            select(LabReportItem)
            .where(LabReportItem.report_id == report_id)
            .order_by(LabReportItem.seq_no)
        ).all()
    assert isinstance(report, LabReport)
    return {
        "report": {
            **_summary(report, "LAB"),
            "specimen": report.specimen,
            "items": [
                {
                    "item_code": i.item_code,
                    "name": i.name,
                    "value": i.value,
                    "unit": i.unit,
                    "reference_range": i.reference_range,
                    "abnormal_flag": i.abnormal_flag,
                    "abnormal": i.abnormal_flag != "",
                }
                for i in items
            ],
        }
    }


def exam_report(sessions: sessionmaker[Session], report_id: str, mrn: str) -> dict[str, Any]:
    """5004: an exam report's modality, findings and conclusion."""
    with sessions() as session:
        report = _visible(session, ExamReport, report_id, mrn)
    assert isinstance(report, ExamReport)
    return {
        "report": {
            **_summary(report, "EXAM"),
            "modality": report.modality,
            "body_part": report.body_part,
            "findings": report.findings,
            "conclusion": report.conclusion,
        }
    }


def handle_lab_list(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """5001 lab report list."""
    request = typed(incoming, his.LabReports)
    start, end = date_range(request.start_date, request.end_date)
    return list_reports(deps.sessions, "LAB", request.mrn.strip(), start, end)


def handle_exam_list(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """5002 exam report list."""
    request = typed(incoming, his.ExamReports)
    start, end = date_range(request.start_date, request.end_date)
    return list_reports(deps.sessions, "EXAM", request.mrn.strip(), start, end)


def handle_lab_detail(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """5003 lab report detail."""
    request = typed(incoming, his.LabReport)
    return lab_report(deps.sessions, request.report_id.strip(), request.mrn.strip())


def handle_exam_detail(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """5004 exam report detail."""
    request = typed(incoming, his.ExamReport)
    return exam_report(deps.sessions, request.report_id.strip(), request.mrn.strip())
