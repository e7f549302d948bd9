"""The console's view of reconciliation (cloud_service.reconcile, imported lazily so the
console still works where it is absent): a week of daily totals and differences for the
chart, the day's report, and a run on demand by a named member of staff (audited)."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from types import ModuleType
from typing import Any

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from envelope import codes

CHART_DAYS = 7
SETTLED = ("REPAIRED", "INFO")  # statuses of a difference nothing is left to repair of


def _module() -> ModuleType:
    try:
        return importlib.import_module("cloud_service.reconcile")
    except ImportError as exc:
        raise CloudError(codes.PEER_UNAVAILABLE, "reconciliation not available") from exc


def parse_day(text: str) -> date:
    """A yyyy-MM-dd day, or 1009: the one day parser of the console and the ops API."""
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise CloudError(codes.BODY_INVALID, "the date must be yyyy-MM-dd") from exc
    if day.isoformat() != text:  # fromisoformat also takes 20261125 and 2026-W48-3
        raise CloudError(codes.BODY_INVALID, "the date must be yyyy-MM-dd")
    return day


def day_point(day: str, report: dict[str, Any] | None) -> dict[str, Any]:
    """One bar pair of the chart: the channels' payments and the differences' amounts, fen."""
    if report is None:
        return {"date": day, "total_fen": 0, "difference_fen": 0, "reconciled": False}
    sources = report.get("sources") or {}
    total = sum(
        int(s.get("payments_fen", 0))
        for s in sources.values()
        if isinstance(s, dict) and isinstance(s.get("payments_fen"), int)
    )
    difference = sum(
        max((abs(int(v)) for v in (d.get("amounts") or {}).values()), default=0)
        for d in report.get("differences") or []
    )
    return {"date": day, "total_fen": total, "difference_fen": difference, "reconciled": True}


def console_report(deps: Deps, day: date) -> dict[str, Any]:
    """The day's stored report (or None) and the chart of the week up to it."""
    module = _module()
    daily = []
    for back in range(CHART_DAYS - 1, -1, -1):
        shown = (day - timedelta(days=back)).isoformat()
        daily.append(day_point(shown, module.stored_report(deps, shown)))
    return {
        "date": day.isoformat(),
        "report": module.stored_report(deps, day.isoformat()),
        "daily": daily,
    }


def run(deps: Deps, staff: str, day: date, repair: bool) -> dict[str, Any]:
    """Reconcile the day now (applying the safe repairs when asked), audited under staff."""
    module = _module()
    report: dict[str, Any] = module.reconcile_day(deps, day, repair=repair)
    detail = {"date": day.isoformat(), "repair": repair, "summary": report.get("summary", {})}
    module.record_operation(
        deps, actor=staff, action="reconcile_run", target=day.isoformat(), detail=detail
    )
    return report


def repair_item(deps: Deps, staff: str, day: date, order_no: str, kind: str) -> dict[str, Any]:
    """Repair one difference of the day's stored report by its rule, audited under staff
    (the repair's own audit row names them); only that difference of the stored report, and
    its summary, are brought up to date: the day is not reconciled again for one row."""
    module = _module()
    report = module.stored_report(deps, day.isoformat()) or {}
    listed = [
        d
        for d in report.get("differences") or []
        if d.get("order_no") == order_no and d.get("kind") == kind
    ]
    if not listed:
        raise CloudError(codes.RECORD_NOT_FOUND, "no such difference in the day's report")
    status = listed[0].get("status")
    if status in SETTLED:  # a replayed request must not reverse or refund a second time
        raise CloudError(
            codes.ORDER_STATE_CONFLICT, f"this difference is {status}: nothing to repair"
        )
    if not listed[0].get("repair"):
        raise CloudError(codes.ORDER_STATE_CONFLICT, "this difference is for a person to settle")
    difference = module.Difference(**listed[0])
    # Claimed first (2014 when already claimed): of two identical requests, one repairs.
    module.claim_repair(deps, day.isoformat(), order_no, kind, staff)
    settled = False
    try:
        module.repair(deps, difference, day.isoformat(), actor=staff)
        settled = difference.status in SETTLED
    finally:
        if not settled:  # failed (its steps are idempotent): a person may try again
            module.release_repair(deps, day.isoformat(), order_no, kind)
    module.store_repair(deps, day.isoformat(), difference)
    return {"order_no": order_no, "kind": kind, "status": difference.status}
