"""Lab and exam reports of a bound record, six months back (5001-5004); another patient's
report is refused here (2011) and again by the HIS, which checks the mrn it is sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cloud_service.accounts import binding_of
from cloud_service.deps import Deps
from cloud_service.hospital import answer_of
from envelope import clock
from envelope.messages.his import ExamReport, ExamReports, LabReport, LabReports
from envelope.messages.his_answers import ReportsAnswer

LISTS: dict[str, type[LabReports | ExamReports]] = {"lab": LabReports, "exam": ExamReports}
DETAILS: dict[str, type[LabReport | ExamReport]] = {"lab": LabReport, "exam": ExamReport}
# The HIS keeps the six-month limit exactly; the cloud never asks for more than that.
LOOK_BACK = timedelta(days=186)


def list_reports(
    deps: Deps, user_id: str, mrn: str, kind: str, trace_id: str
) -> list[dict[str, Any]]:
    """The record's lab or exam reports of the last six months, newest first."""
    binding_of(deps, user_id, mrn)
    today = clock.today()
    request = LISTS[kind](
        mrn=mrn, start_date=(today - LOOK_BACK).isoformat(), end_date=today.isoformat()
    )
    answer = answer_of(deps.hospital, request, ReportsAnswer, trace_id)
    return [row.model_dump() for row in answer.reports]


def report_detail(
    deps: Deps, user_id: str, mrn: str, report_id: str, kind: str, trace_id: str
) -> dict[str, Any]:
    """One report: lab values with units, ranges and flags, or an exam's findings."""
    binding_of(deps, user_id, mrn)
    request = DETAILS[kind](report_id=report_id, mrn=mrn)
    answer = answer_of(deps.hospital, request, request.answer, trace_id)
    report: dict[str, Any] = answer.model_dump()["report"]
    return report
