"""The trade-code catalogue of DESIGN §3: name, where it goes, and the body it needs.

The gateway's route table and every service's body check read this one table, so a
newcomer follows a code from here to the handler that serves it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from envelope import codes

CLOUD = "CLOUD"
GATEWAY = "GATEWAY"
HIP = "HIP"
INSFE = "INSFE"
PARTIES = (CLOUD, GATEWAY, HIP, INSFE)
CHANNELS = ("APP", "ALIPAY", "WECHAT", "WINDOW", "SYSTEM")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only: \d takes any script's
# The dates a hospital keeps; a year past them (9999-12-31) overflows a day range's end.
FIRST_YEAR, LAST_YEAR = 1900, 2199

# A field spec is "type" or "type?" (optional). Types: str, int, bool, date, list, dict.
FieldSpec = Mapping[str, str]


@dataclass(frozen=True)
class TradeCode:
    """One interface of the catalogue."""

    code: str
    name: str
    target: str  # HIP, INSFE or CLOUD: the service that answers it
    fields: FieldSpec = field(default_factory=dict)
    internal_only: bool = False  # never accepted from the Internet zone (4001, 4002)


def _tc(
    code: str, title: str, target: str, internal_only: bool = False, /, **fields: str
) -> TradeCode:
    return TradeCode(code, title, target, dict(fields), internal_only)


_SETTLE = {
    "order_no": "str",
    "mrn": "str",
    "kind": "str",
    "lock_id": "str?",
    "bill_nos": "list?",
    "bills_digest": "str?",
    "acct_used": "bool?",
}

CATALOGUE: dict[str, TradeCode] = {
    t.code: t
    for t in (
        _tc("1001", "patient query", HIP, id_card_no="str", name="str"),
        _tc(
            "1002",
            "patient create",
            HIP,
            id_card_no="str",
            name="str",
            phone="str",
            gender="str",
            birth_date="date",
        ),
        _tc("1003", "patient info", HIP, mrn="str"),
        _tc("2001", "department list", HIP),
        _tc("2002", "doctor list", HIP, dept_code="str?"),
        _tc(
            "2003",
            "schedule list",
            HIP,
            dept_code="str?",
            doctor_code="str?",
            start_date="date",
            end_date="date",
        ),
        _tc(
            "2004",
            "remaining slots",
            HIP,
            dept_code="str?",
            doctor_code="str?",
            start_date="date",
            end_date="date",
        ),
        _tc("2005", "slot detail", HIP, schedule_id="str"),
        _tc(
            "2006",
            "slot lock / book",
            HIP,
            schedule_id="str",
            slot_id="str?",
            mrn="str",
            order_no="str",
        ),
        _tc("2007", "unlock / cancel booking", HIP, lock_id="str", mrn="str"),
        _tc("2008", "registration confirm", HIP, order_no="str", lock_id="str", settlement="dict"),
        _tc("2009", "registration records", HIP, mrn="str", start_date="date", end_date="date"),
        _tc("2010", "registration query", HIP, order_no="str"),
        _tc("3001", "unpaid bill list", HIP, mrn="str"),
        _tc("3002", "bill detail", HIP, bill_no="str", mrn="str"),
        _tc(
            "3003",
            "charge confirm",
            HIP,
            order_no="str",
            mrn="str",
            bill_nos="list",
            bills_digest="str",
            settlement="dict",
        ),
        _tc("3004", "charge records", HIP, mrn="str", start_date="date", end_date="date"),
        _tc("3005", "charge query", HIP, order_no="str"),
        _tc("4001", "insurance sign-in", INSFE, True, operator="str"),
        _tc("4002", "insurance sign-out", INSFE, True, sign_no="str"),
        _tc("4003", "insured person info", INSFE, id_card_no="str", name="str"),
        _tc("4004", "pre-settle", INSFE, **_SETTLE),
        _tc("4005", "settle", INSFE, **_SETTLE),
        _tc("4006", "settle reversal", INSFE, order_no="str", reason="str"),
        _tc("4007", "settle query", INSFE, order_no="str"),
        _tc("4008", "reconcile totals", INSFE, date="date"),
        _tc("4009", "reconcile detail", INSFE, date="date"),
        _tc("5001", "lab report list", HIP, mrn="str", start_date="date", end_date="date"),
        _tc("5002", "exam report list", HIP, mrn="str", start_date="date", end_date="date"),
        _tc("5003", "lab report detail", HIP, report_id="str", mrn="str"),
        _tc("5004", "exam report detail", HIP, report_id="str", mrn="str"),
        _tc("6001", "report ready", CLOUD, mrn="str", report_id="str", kind="str"),
        _tc("6002", "clinic stopped", CLOUD, schedule_id="str", reason="str"),
        _tc("6003", "window refund done", CLOUD, order_no="str"),
    )
}


def lookup(trade_code: str) -> TradeCode:
    """The catalogue entry of a code, or 1006."""
    entry = CATALOGUE.get(trade_code)
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


def _is_date(value: str) -> bool:
    """yyyy-MM-dd, a real calendar day in the years a hospital keeps."""
    if not _DATE.fullmatch(value):
        return False
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return False
    return FIRST_YEAR <= day.year <= LAST_YEAR


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str) and value != ""
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, str) and _is_date(value)
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    raise ValueError(f"unknown field kind {kind}")


def validate_body(entry: TradeCode, body: Any) -> None:
    """Check the body's fields against the catalogue, or raise 1009 naming the field."""
    if not isinstance(body, dict):
        raise codes.EnvelopeError(codes.BODY_INVALID, "body must be a JSON object")
    for name, spec in entry.fields.items():
        optional = spec.endswith("?")
        kind = spec.rstrip("?")
        if name not in body or body[name] is None:
            if optional:
                continue
            raise codes.EnvelopeError(codes.BODY_INVALID, f"body field {name} is required")
        if not _type_ok(kind, body[name]):
            raise codes.EnvelopeError(codes.BODY_INVALID, f"body field {name} must be a {kind}")
