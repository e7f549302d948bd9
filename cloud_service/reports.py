"""Lab and exam reports of a bound record, six months back (5001-5004); another patient's
report is refused here (2011) and again by the HIS, which checks the mrn it is sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cloud_service.accounts import binding_of
from cloud_service.deps import Deps
from cloud_service.hospital import require_ok
from envelope import clock

LIST_CODES = {"lab": "5001", "exam": "5002"}
DETAIL_CODES = {"lab": "5003", "exam": "5004"}
# The HIS keeps the six-month limit exactly; the cloud never asks for more than that.
LOOK_BACK = timedelta(days=186)


def list_reports(
    deps: Deps, user_id: str, mrn: str, kind: str, trace_id: str
) -> list[dict[str, Any]]:
    """The record's lab or exam reports of the last six months, newest first."""
    binding_of(deps, user_id, mrn)
    today = clock.today()
    body = {
        "mrn": mrn,
        "start_date": (today - LOOK_BACK).isoformat(),
        "end_date": today.isoformat(),
    }
    answer = require_ok(deps.hospital.call(LIST_CODES[kind], body, trace_id=trace_id))
    rows: list[dict[str, Any]] = answer.get("reports", [])
    return rows


def report_detail(
    deps: Deps, user_id: str, mrn: str, report_id: str, kind: str, trace_id: str
) -> dict[str, Any]:
    """One report: lab values with units, ranges and flags, or an exam's findings."""
    binding_of(deps, user_id, mrn)
    body = {"report_id": report_id, "mrn": mrn}
    answer = require_ok(deps.hospital.call(DETAIL_CODES[kind], body, trace_id=trace_id))
    report: dict[str, Any] = answer.get("report", {})
    return report
