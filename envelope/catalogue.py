"""The trade-code catalogue of DESIGN §3: name, where it goes, who may send it.

The gateway's route table reads this one table; the body each code carries is a typed
model in ``envelope.messages``, so a newcomer follows a code from here to the model it
carries and the handler that serves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from envelope import codes
from envelope.trades import Trade

CLOUD = "CLOUD"
GATEWAY = "GATEWAY"
HIP = "HIP"
INSFE = "INSFE"
PARTIES = (CLOUD, GATEWAY, HIP, INSFE)
CHANNELS = ("APP", "ALIPAY", "WECHAT", "WINDOW", "SYSTEM")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only: \d takes any script's
# The dates a hospital keeps; a year past them (9999-12-31) overflows a day range's end.
FIRST_YEAR, LAST_YEAR = 1900, 2199


@dataclass(frozen=True)
class TradeCode:
    """One interface of the catalogue."""

    code: Trade
    name: str
    target: str  # HIP, INSFE or CLOUD: the service that answers it
    internal_only: bool = False  # never accepted from the Internet zone (4001, 4002)


_ENTRIES = (
    TradeCode(Trade.PATIENT_QUERY, "patient query", HIP),
    TradeCode(Trade.PATIENT_CREATE, "patient create", HIP),
    TradeCode(Trade.PATIENT_INFO, "patient info", HIP),
    TradeCode(Trade.DEPARTMENTS, "department list", HIP),
    TradeCode(Trade.DOCTORS, "doctor list", HIP),
    TradeCode(Trade.SCHEDULES, "schedule list", HIP),
    TradeCode(Trade.REMAINING_SLOTS, "remaining slots", HIP),
    TradeCode(Trade.SLOT_DETAIL, "slot detail", HIP),
    TradeCode(Trade.LOCK_SLOT, "slot lock / book", HIP),
    TradeCode(Trade.UNLOCK_SLOT, "unlock / cancel booking", HIP),
    TradeCode(Trade.CONFIRM_REGISTRATION, "registration confirm", HIP),
    TradeCode(Trade.REGISTRATION_RECORDS, "registration records", HIP),
    TradeCode(Trade.QUERY_REGISTRATION, "registration query", HIP),
    TradeCode(Trade.UNPAID_BILLS, "unpaid bill list", HIP),
    TradeCode(Trade.BILL_DETAIL, "bill detail", HIP),
    TradeCode(Trade.CONFIRM_CHARGE, "charge confirm", HIP),
    TradeCode(Trade.CHARGE_RECORDS, "charge records", HIP),
    TradeCode(Trade.QUERY_CHARGE, "charge query", HIP),
    TradeCode(Trade.EBILL, "electronic medical bill", HIP),
    TradeCode(Trade.INSURANCE_SIGN_IN, "insurance sign-in", INSFE, True),
    TradeCode(Trade.INSURANCE_SIGN_OUT, "insurance sign-out", INSFE, True),
    TradeCode(Trade.INSURED_PERSON, "insured person info", INSFE),
    TradeCode(Trade.PRESETTLE, "pre-settle", INSFE),
    TradeCode(Trade.SETTLE, "settle", INSFE),
    TradeCode(Trade.REVERSE_SETTLEMENT, "settle reversal", INSFE),
    TradeCode(Trade.QUERY_SETTLEMENT, "settle query", INSFE),
    TradeCode(Trade.RECONCILE_TOTALS, "reconcile totals", INSFE),
    TradeCode(Trade.RECONCILE_DETAIL, "reconcile detail", INSFE),
    TradeCode(Trade.LAB_REPORTS, "lab report list", HIP),
    TradeCode(Trade.EXAM_REPORTS, "exam report list", HIP),
    TradeCode(Trade.LAB_REPORT, "lab report detail", HIP),
    TradeCode(Trade.EXAM_REPORT, "exam report detail", HIP),
    TradeCode(Trade.REPORT_READY, "report ready", CLOUD),
    TradeCode(Trade.CLINIC_STOPPED, "clinic stopped", CLOUD),
    TradeCode(Trade.WINDOW_REFUND, "window refund done", CLOUD),
    TradeCode(Trade.VISIT_REMINDER, "visit reminder", CLOUD),
    TradeCode(Trade.NEW_BILL, "new unpaid bill", CLOUD),
)
CATALOGUE: dict[Trade, TradeCode] = {entry.code: entry for entry in _ENTRIES}


def lookup(trade_code: str) -> TradeCode:
    """The catalogue entry of a code, or 1006."""
    entry = CATALOGUE.get(trade_code)  # type: ignore[call-overload]  # a str keys a StrEnum
    if entry is None:
        raise codes.EnvelopeError(codes.UNKNOWN_TRADE_CODE, f"unknown trade code {trade_code!r}")
    return entry


def route_allowed(entry: TradeCode, sender: str) -> bool:
    """DESIGN §3 routes: 1xxx-5xxx only inbound from CLOUD, 6xxx only outbound from HIP/INSFE,
    4001/4002 never from the Internet zone."""
    if entry.target == CLOUD:
        return sender in (HIP, INSFE)
    if entry.internal_only:
        return False
    return sender == CLOUD


def is_date(value: str) -> bool:
    """yyyy-MM-dd, a real calendar day in the years a hospital keeps."""
    if not _DATE.fullmatch(value):
        return False
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return False
    return FIRST_YEAR <= day.year <= LAST_YEAR
