"""The dispatch table: every trade code integration_platform answers, and its handler.

Each handler is ``handler(deps, incoming)``; create_app binds the table to its Deps once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from envelope.server import Handler, Incoming
from integration_platform import accounts, charging, clinics, locking, registration, reports
from integration_platform.deps import Deps

HANDLERS: dict[str, Callable[[Deps, Incoming], dict[str, Any]]] = {
    "1001": accounts.handle_patient_query,
    "1002": accounts.handle_patient_create,
    "1003": accounts.handle_patient_info,
    "2001": clinics.handle_departments,
    "2002": clinics.handle_doctors,
    "2003": clinics.handle_schedules,
    "2004": clinics.handle_remaining,
    "2005": clinics.handle_slots,
    "2006": locking.handle_lock,
    "2007": locking.handle_unlock,
    "2008": registration.handle_confirm,
    "2009": registration.handle_records,
    "2010": registration.handle_query,
    "3001": charging.handle_unpaid,
    "3002": charging.handle_bill,
    "3003": charging.handle_charge,
    "3004": charging.handle_receipts,
    "3005": charging.handle_charge_query,
    "5001": reports.handle_lab_list,
    "5002": reports.handle_exam_list,
    "5003": reports.handle_lab_detail,
    "5004": reports.handle_exam_detail,
}


def bind_handlers(deps: Deps) -> dict[str, Handler]:
    """The table with its Deps bound, as EnvelopeEndpoint takes it."""
    return {code: partial(handler, deps) for code, handler in HANDLERS.items()}
