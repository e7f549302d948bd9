"""Every HIS trade code refuses bad requests with a clear result code and an empty body:
missing fields (1009), unknown patients (2001), unknown records (2008)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from envelope import clock

Call = Callable[..., tuple[str, dict[str, Any]]]

TODAY = clock.today().isoformat()
RANGE = {"start_date": TODAY, "end_date": TODAY}
BACKWARDS = {"start_date": TODAY, "end_date": (clock.today() - timedelta(days=1)).isoformat()}
SETTLEMENT = {"pay_mode": "SELF_PAY", "channel": "WECHAT", "cash": 1}

REFUSALS = [
    ("1001", {"name": "张伟"}, "1009"),
    ("1002", {"id_card_no": "110105198001010016", "name": "张伟"}, "1009"),
    ("1003", {}, "1009"),
    ("2002", {"dept_code": 7}, "1009"),
    ("2003", {"start_date": TODAY}, "1009"),
    ("2004", {**RANGE}, "1009"),
    ("2005", {}, "1009"),
    ("2006", {"schedule_id": "S", "mrn": "M00000001"}, "1009"),
    ("2007", {"lock_id": "LK-NONE"}, "1009"),
    ("2008", {"order_no": "O", "lock_id": "L"}, "1009"),
    ("2008", {"order_no": "NONE", "lock_id": "L", "settlement": SETTLEMENT}, "2008"),
    ("2009", {"mrn": "M00000001", **BACKWARDS}, "1009"),
    ("2009", {"mrn": "M99999999", **RANGE}, "2001"),
    ("2010", {}, "1009"),
    ("3001", {}, "1009"),
    ("3001", {"mrn": "M99999999"}, "2001"),
    ("3002", {"bill_no": "B00000001"}, "1009"),
    ("3003", {"order_no": "O", "mrn": "M00000001", "bill_nos": [], "bills_digest": "x",
              "settlement": SETTLEMENT}, "1009"),
    ("3003", {"order_no": "O", "mrn": "M99999999", "bill_nos": ["B1"], "bills_digest": "x",
              "settlement": SETTLEMENT}, "2001"),
    ("3004", {"mrn": "M99999999", **RANGE}, "2001"),
    ("3004", {"mrn": "M00000001", **BACKWARDS}, "1009"),
    ("3005", {}, "1009"),
    ("5001", {"mrn": "M99999999", **RANGE}, "2001"),
    ("5001", {"mrn": "M00000001", **BACKWARDS}, "1009"),
    ("5002", {"mrn": "M99999999", **RANGE}, "2001"),
    ("5002", {"mrn": "M00000001", "start_date": "2026-13-01", "end_date": TODAY}, "1009"),
    ("5003", {"report_id": "LR00000001"}, "1009"),
    ("5004", {"report_id": "ER-NONE", "mrn": "M00000001"}, "2008"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "body", "expected"), REFUSALS)
def test_bad_requests_are_refused_clearly(
    call: Call, code: str, body: dict[str, Any], expected: str
) -> None:
    assert call(code, body) == (expected, {})


def test_every_trade_code_of_the_his_is_covered_here() -> None:
    from integration_platform.dispatch import HANDLERS

    assert {code for code, _body, _expected in REFUSALS} == set(HANDLERS) - {"2001"}


def test_department_list_needs_nothing(call: Call) -> None:
    code, body = call("2001", {})
    assert code == "0000" and len(body["departments"]) == 20
