"""Outpatient bills and charges over envelopes: 3001 to 3005."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from envelope import clock

Call = Callable[..., tuple[str, dict[str, Any]]]

ZHANG_WEI, LI_NA, ZHANG_XIAOMING = "M00000001", "M00000002", "M00000004"


def _listed(call: Call, mrn: str = ZHANG_WEI) -> dict[str, Any]:
    code, body = call("3001", {"mrn": mrn})
    assert code == "0000"
    return body


def _charge(
    call: Call, order_no: str, listed: dict[str, Any], **change: Any
) -> tuple[str, dict[str, Any]]:
    body = {
        "order_no": order_no,
        "mrn": ZHANG_WEI,
        "bill_nos": [b["bill_no"] for b in listed["bills"]],
        "bills_digest": listed["bills_digest"],
        "settlement": {
            "pay_mode": "SELF_PAY",
            "channel": "WECHAT",
            "channel_trade_no": "WX9",
            "cash": listed["total"],
        },
    }
    return call("3003", {**body, **change})


def test_unpaid_bills_are_listed_with_total_and_digest(call: Call) -> None:
    body = _listed(call)
    assert [b["bill_no"] for b in body["bills"]] == ["B00000001", "B00000002"]
    assert body["total"] == sum(b["amount"] for b in body["bills"])
    assert body["bills"][0]["dept"] == "心血管内科" and body["bills"][0]["doctor"] == "王建国"
    assert len(body["bills_digest"]) == 64
    assert _listed(call, ZHANG_XIAOMING)["bills"] == []
    assert call("3001", {"mrn": "M99999999"})[0] == "2001"


def test_bill_detail_shows_items_of_classes_a_b_c(call: Call) -> None:
    code, body = call("3002", {"bill_no": "B00000001", "mrn": ZHANG_WEI})
    assert code == "0000"
    assert {i["insurance_class"] for i in body["items"]} == {"A", "B", "C"}
    assert sum(i["amount"] for i in body["items"]) == body["amount"]
    assert all(i["amount"] == i["qty"] * i["unit_price"] for i in body["items"])


def test_bill_of_another_patient_is_refused_with_2011(call: Call) -> None:
    assert call("3002", {"bill_no": "B00000001", "mrn": LI_NA})[0] == "2011"
    assert call("3002", {"bill_no": "B-NONE", "mrn": ZHANG_WEI})[0] == "2008"


def test_charge_pays_all_bills_once_and_repeats_identically(call: Call) -> None:
    listed = _listed(call)
    code, body = _charge(call, "CH-1", listed)
    assert code == "0000" and body["status"] == "PAID"
    assert body["receipt_no"] and body["invoice_no"] and body["amount"] == listed["total"]
    assert _charge(call, "CH-1", listed) == (code, body)
    assert _listed(call)["bills"] == []
    assert call("3005", {"order_no": "CH-1"})[1]["receipt_no"] == body["receipt_no"]
    today = clock.today().isoformat()
    receipts = call("3004", {"mrn": ZHANG_WEI, "start_date": today, "end_date": today})[1]
    assert [r["order_no"] for r in receipts["receipts"]] == ["CH-1"]


def test_charge_of_a_subset_or_stale_digest_is_refused_with_2004(call: Call) -> None:
    listed = _listed(call)
    assert _charge(call, "CH-2", listed, bill_nos=["B00000001"])[0] == "2004"
    assert _charge(call, "CH-3", listed, bills_digest="0" * 64)[0] == "2004"


def test_same_order_with_other_content_is_refused_with_2007(call: Call) -> None:
    listed = _listed(call)
    assert _charge(call, "CH-4", listed)[0] == "0000"
    other = {"pay_mode": "SELF_PAY", "channel": "ALIPAY", "cash": listed["total"]}
    assert _charge(call, "CH-4", listed, settlement=other)[0] == "2007"
    assert _charge(call, "CH-5", listed)[0] == "2004"  # already paid: a bill is not paid twice


@pytest.mark.parametrize("cash_delta", [-1, 1])
def test_charge_amount_mismatch_is_refused_with_2006(call: Call, cash_delta: int) -> None:
    listed = _listed(call)
    settlement = {"pay_mode": "SELF_PAY", "channel": "WECHAT", "cash": listed["total"] + cash_delta}
    assert _charge(call, "CH-6", listed, settlement=settlement)[0] == "2006"
    assert len(_listed(call)["bills"]) == 2


def test_charge_query_of_unknown_order_answers_none(call: Call) -> None:
    assert call("3005", {"order_no": "CH-NONE"}) == (
        "0000",
        {"status": "NONE", "order_no": "CH-NONE"},
    )


def test_receipts_outside_the_range_are_not_listed(call: Call) -> None:
    _charge(call, "CH-7", _listed(call))
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    assert call("3004", {"mrn": ZHANG_WEI, "start_date": yesterday, "end_date": yesterday})[1] == {
        "receipts": []
    }
