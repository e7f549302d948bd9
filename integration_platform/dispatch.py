"""The dispatch table: every trade code integration_platform answers, and its handler.

Each handler is ``handler(deps, incoming)``; create_app binds the table to its Deps once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from envelope.server import Handler, Incoming
from envelope.trades import Trade
from integration_platform import accounts, charging, clinics, locking, registration, reports
from integration_platform.deps import Deps

HANDLERS: dict[Trade, Callable[[Deps, Incoming], dict[str, Any]]] = {
    Trade.PATIENT_QUERY: accounts.handle_patient_query,
    Trade.PATIENT_CREATE: accounts.handle_patient_create,
    Trade.PATIENT_INFO: accounts.handle_patient_info,
    Trade.DEPARTMENTS: clinics.handle_departments,
    Trade.DOCTORS: clinics.handle_doctors,
    Trade.SCHEDULES: clinics.handle_schedules,
    Trade.REMAINING_SLOTS: clinics.handle_remaining,
    Trade.SLOT_DETAIL: clinics.handle_slots,
    Trade.LOCK_SLOT: locking.handle_lock,
    Trade.UNLOCK_SLOT: locking.handle_unlock,
    Trade.CONFIRM_REGISTRATION: registration.handle_confirm,
    Trade.REGISTRATION_RECORDS: registration.handle_records,
    Trade.QUERY_REGISTRATION: registration.handle_query,
    Trade.UNPAID_BILLS: charging.handle_unpaid,
    Trade.BILL_DETAIL: charging.handle_bill,
    Trade.CONFIRM_CHARGE: charging.handle_charge,
    Trade.CHARGE_RECORDS: charging.handle_receipts,
    Trade.QUERY_CHARGE: charging.handle_charge_query,
    Trade.LAB_REPORTS: reports.handle_lab_list,
    Trade.EXAM_REPORTS: reports.handle_exam_list,
    Trade.LAB_REPORT: reports.handle_lab_detail,
    Trade.EXAM_REPORT: reports.handle_exam_detail,
}


def bind_handlers(deps: Deps) -> dict[str, Handler]:
    """The table with its Deps bound, as EnvelopeEndpoint takes it."""
    return {code: partial(handler, deps) for code, handler in HANDLERS.items()}
