"""One reconciliation run: read the ledgers, classify, repair by rule, keep the report."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import date
from typing import Any

from cloud_service.deps import Deps
from cloud_service.models import ReconciliationRun
from cloud_service.reconcile.classify import Difference, compare_orders, insurance_items
from cloud_service.reconcile.ledgers import read_ledgers
from cloud_service.reconcile.repair import repair as apply_repair
from envelope import clock
from servicekit import metrics
from servicekit.db import transaction

log = logging.getLogger(__name__)


def _unique(differences: list[Difference]) -> list[Difference]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for difference in differences:
        key = (difference.kind, difference.order_no)
        if key not in seen:
            seen.add(key)
            kept.append(difference)
    return kept


def summary_of(differences: list[dict[str, Any]]) -> dict[str, Any]:
    """A report's summary: its differences (as the report lists them) by kind and by status."""
    statuses = Counter(d["status"] for d in differences)
    return {
        "differences": len(differences),
        "by_kind": dict(Counter(d["kind"] for d in differences)),
        "repaired": statuses.get("REPAIRED", 0),
        "for_person": statuses.get("FOR_PERSON", 0),
        "failed": statuses.get("FAILED", 0),
        "open": statuses.get("OPEN", 0),
        "info": statuses.get("INFO", 0),
    }


def reconcile_day(deps: Deps, day: date, repair: bool = False) -> dict[str, Any]:
    """Reconcile ``day``; with ``repair``, apply every safe rule. Returns and stores the report."""
    ledgers = read_ledgers(deps, day)
    found = compare_orders(ledgers.orders, ledgers.bill, ledgers.our_refund_nos)  # reads the orders
    tally = ledgers.tally
    differences = _unique(found + insurance_items(ledgers.insurance_items, tally.kept))
    for difference in differences:
        if difference.status != "OPEN":
            continue
        if repair and difference.repair:
            apply_repair(deps, difference, day.isoformat())
        elif not difference.repair:
            difference.status = "FOR_PERSON"
    listed = [d.as_dict() for d in differences]
    report: dict[str, Any] = {
        "date": day.isoformat(),
        "ran_at": clock.now_iso(),
        "repair": repair,
        "orders": {"count": tally.count, "by_state": dict(tally.by_state)},
        "sources": ledgers.sources,
        "differences": listed,
        "summary": summary_of(listed),
    }
    _store(deps, day.isoformat(), report)
    for kind, count in report["summary"]["by_kind"].items():
        metrics.record_reconciliation_differences(kind, count)
    log.info("reconciliation of %s: %s", day, report["summary"])
    return report


def _text(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, sort_keys=True)


def _store(deps: Deps, day: str, report: dict[str, Any]) -> None:
    with transaction(deps.sessions) as session:
        row = session.get(ReconciliationRun, day)
        if row is None:
            session.add(ReconciliationRun(day=day, report=_text(report), ran_at=clock.now()))
        else:
            row.report, row.ran_at = _text(report), clock.now()


def store_repair(deps: Deps, day: str, difference: Difference) -> dict[str, Any] | None:
    """Write one repaired difference's status and audit id into the day's stored report and
    count its summary again: what a one-item repair changes, without running the day again.
    Returns the report as now stored (None when the day has none)."""
    with transaction(deps.sessions) as session:
        # Locked while read and rewritten: two staff repairing two items must not lose one.
        row = session.get(ReconciliationRun, day, with_for_update=True)
        if row is None:
            return None
        report: dict[str, Any] = json.loads(row.report)
        differences = report.get("differences") or []
        for listed in differences:  # one per (kind, order_no): reconcile_day made them unique
            if (listed["kind"], listed["order_no"]) == (difference.kind, difference.order_no):
                listed["status"], listed["audit_id"] = difference.status, difference.audit_id
        report["summary"] = summary_of(differences)
        row.report = _text(report)
    return report


def stored_report(deps: Deps, day: str) -> dict[str, Any] | None:
    """The last report of ``day``, or None when the day was never reconciled."""
    with deps.sessions() as session:
        row = session.get(ReconciliationRun, day)
    return None if row is None else dict(json.loads(row.report))
