"""Daily three-way reconciliation: channels' bills, the insurance ledger, the HIS."""

from cloud_service.reconcile.audit import (
    claim_repair,
    recent_operations,
    record_operation,
    release_repair,
)
from cloud_service.reconcile.classify import Difference
from cloud_service.reconcile.page import render
from cloud_service.reconcile.repair import repair
from cloud_service.reconcile.report import reconcile_day, store_repair, stored_report

__all__ = [
    "Difference",
    "claim_repair",
    "recent_operations",
    "reconcile_day",
    "record_operation",
    "release_repair",
    "render",
    "repair",
    "store_repair",
    "stored_report",
]
