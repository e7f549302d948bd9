"""The HIS's answer models refuse what a forged or broken answer would carry: money that is
not whole non-negative fen, totals that do not add up, missing or unknown states, a record
that both exists and does not."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from envelope import codes
from envelope.codes import EnvelopeError
from envelope.messages import validate_answer
from envelope.trades import Trade

FEES = {"reg_fee": 100, "diag_fee": 3000, "total": 3100}
ITEMS = [
    {
        "item_code": "110100001",
        "name": "挂号费",
        "spec": "次",
        "qty": 1,
        "unit_price": 100,
        "amount": 100,
        "insurance_class": "C",
        "list_code": "L1",
    },
    {
        "item_code": "110200001",
        "name": "诊查费",
        "spec": "次",
        "qty": 1,
        "unit_price": 3000,
        "amount": 3000,
        "insurance_class": "A",
        "list_code": "L2",
    },
]
SPLIT = {
    "medfee_sumamt": 3100,
    "fulamt_ownpay_amt": 100,
    "preselfpay_amt": 0,
    "inscp_scp_amt": 3000,
    "hifp_pay": 2000,
    "acct_pay": 500,
    "psn_cash_pay": 600,
}
SETTLEMENT = {
    "pay_mode": "INSURANCE",
    "channel": "ALIPAY",
    "channel_trade_no": "A1",
    "cash": 600,
    "setl_id": "SETL1",
    "split": SPLIT,
}
HOLD = {
    "lock_id": "LK1",
    "order_no": "O1",
    "status": "LOCKED",
    "expires_at": "2026-12-04T10:15:00+08:00",
    "mrn": "M00000001",
    "schedule_id": "SC1",
    "slot_id": "SC1-01",
    "seq_no": 1,
    "start_time": "08:00",
    "end_time": "08:20",
    "visit_date": "2026-12-04",
    "fees": FEES,
}
REGISTRATION = {
    **HOLD,
    "status": "CONFIRMED",
    "period": "AM",
    "dept_code": "D01",
    "doctor_code": "DR001",
    "items": ITEMS,
    "reg_no": "RG1",
    "visit_no": "V1",
    "queue_no": 1,
    "location": "门诊楼",
    "settlement": SETTLEMENT,
}
BILL = {
    "bill_no": "B1",
    "visit_no": "V1",
    "mrn": "M00000001",
    "dept_code": "D01",
    "dept": "内科",
    "doctor_code": "DR001",
    "doctor": "张医生",
    "kind": "DRUG",
    "amount": 3100,
    "status": "UNPAID",
    "billed_at": "2026-12-04T09:00:00+08:00",
}
CHARGE = {
    "status": "PAID",
    "order_no": "O2",
    "mrn": "M00000001",
    "receipt_no": "RC1",
    "invoice_no": "INV1",
    "bill_nos": ["B1"],
    "amount": 3100,
    "settlement": SETTLEMENT,
    "charged_at": "2026-12-04T09:30:00+08:00",
}
SCHEDULE = {
    "schedule_id": "SC1",
    "date": "2026-12-04",
    "period": "AM",
    "dept_code": "D01",
    "dept_name": "内科",
    "doctor_code": "DR001",
    "doctor_name": "张医生",
    "doctor_title": "主任医师",
    "level": "CHIEF",
    "level_name": "主任医师门诊",
    "reg_fee": 100,
    "diag_fee": 3000,
    "total": 3100,
    "capacity": 10,
    "remaining": 9,
}
PATIENT = {
    "patient_id": "P00000001",
    "mrn": "M00000001",
    "patient_type": "EMPLOYEE",
    "insured": True,
}
LAB = {
    "report": {
        "report_id": "LR1",
        "kind": "LAB",
        "mrn": "M00000001",
        "visit_no": "V1",
        "title": "血常规",
        "dept_code": "D01",
        "reported_at": "2026-12-01T10:00:00+08:00",
        "specimen": "血",
        "items": [
            {
                "item_code": "WBC",
                "name": "白细胞",
                "value": "5.1",
                "unit": "10^9/L",
                "reference_range": "3.5-9.5",
                "abnormal_flag": "",
                "abnormal": False,
            }
        ],
    }
}

VALID: dict[Trade, dict[str, Any]] = {
    Trade.PATIENT_QUERY: {"exists": True, **PATIENT, "phone": "13900000000"},
    Trade.PATIENT_INFO: {
        **PATIENT,
        "id_card_no": "11010519491231002X",
        "name": "张伟",
        "gender": "M",
        "birth_date": "1949-12-31",
        "phone": "",
    },
    Trade.SLOT_DETAIL: {
        **SCHEDULE,
        "slots": [
            {
                "slot_id": "SC1-01",
                "seq_no": 1,
                "start_time": "08:00",
                "end_time": "08:20",
                "status": "FREE",
            }
        ],
    },
    Trade.LOCK_SLOT: HOLD,
    Trade.CONFIRM_REGISTRATION: REGISTRATION,
    Trade.QUERY_REGISTRATION: REGISTRATION,
    Trade.UNPAID_BILLS: {"bills": [BILL], "total": 3100, "bills_digest": "ab" * 32},
    Trade.BILL_DETAIL: {**BILL, "items": ITEMS},
    Trade.CONFIRM_CHARGE: CHARGE,
    Trade.QUERY_CHARGE: CHARGE,
    Trade.LAB_REPORT: LAB,
}

Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Change:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


def _drop(name: str) -> Change:
    return lambda body: body.pop(name)


FORGED: list[tuple[Trade, str, Change]] = [
    (Trade.PATIENT_QUERY, "exists as a string", _set("exists", "true")),
    (Trade.PATIENT_QUERY, "exists without its record", _drop("mrn")),
    (Trade.PATIENT_INFO, "an unknown patient type", _set("patient_type", "VIP")),
    (Trade.PATIENT_INFO, "a malformed ID card", _set("id_card_no", "1101051949")),
    (Trade.PATIENT_INFO, "gender outside M/F", _set("gender", "X")),
    (Trade.PATIENT_INFO, "no real birth day", _set("birth_date", "1949-02-30")),
    (Trade.SLOT_DETAIL, "a slot time that is no clock time", _set("slots.0.start_time", "8am")),
    (Trade.SLOT_DETAIL, "an unknown slot status", _set("slots.0.status", "SOLD")),
    (Trade.SLOT_DETAIL, "more remaining than capacity", _set("remaining", 11)),
    (Trade.SLOT_DETAIL, "a total that is not the fees", _set("total", 1)),
    (Trade.LOCK_SLOT, "money in yuan as a float", _set("fees.total", 31.0)),
    (Trade.LOCK_SLOT, "money as a string", _set("fees.reg_fee", "100")),
    (Trade.LOCK_SLOT, "negative money", _set("fees.diag_fee", -3000)),
    (Trade.LOCK_SLOT, "money as a bool", _set("fees.reg_fee", True)),
    (Trade.LOCK_SLOT, "fees that do not add up", _set("fees.total", 3000)),
    (Trade.LOCK_SLOT, "an expiry without offset", _set("expires_at", "2026-12-04T10:15:00")),
    (Trade.LOCK_SLOT, "an unknown hold status", _set("status", "PAID")),
    (Trade.LOCK_SLOT, "seq_no zero", _set("seq_no", 0)),
    (Trade.CONFIRM_REGISTRATION, "confirmed without reg_no", _set("reg_no", None)),
    (Trade.CONFIRM_REGISTRATION, "items not adding up to the fees", _set("items.0.amount", 1)),
    (Trade.CONFIRM_REGISTRATION, "a class outside A/B/C", _set("items.0.insurance_class", "D")),
    (Trade.CONFIRM_REGISTRATION, "a split not adding up", _set("settlement.split.hifp_pay", 1)),
    (Trade.CONFIRM_REGISTRATION, "insurance without its split", _set("settlement.split", None)),
    (Trade.CONFIRM_REGISTRATION, "an unknown pay mode", _set("settlement.pay_mode", "CREDIT")),
    (Trade.QUERY_REGISTRATION, "a state outside the life cycle", _set("status", "UNKNOWN")),
    (Trade.QUERY_REGISTRATION, "a registration without its lock", _drop("lock_id")),
    (Trade.UNPAID_BILLS, "a total that is not the bills' sum", _set("total", 3000)),
    (Trade.UNPAID_BILLS, "a digest that is no sha256 hex", _set("bills_digest", "x")),
    (Trade.BILL_DETAIL, "an item amount that is not qty x unit_price", _set("items.1.qty", 2)),
    (Trade.CONFIRM_CHARGE, "no bills charged", _set("bill_nos", [])),
    (Trade.CONFIRM_CHARGE, "a fractional amount", _set("amount", 3100.5)),
    (Trade.QUERY_CHARGE, "a charge without receipt", _drop("receipt_no")),
    (Trade.LAB_REPORT, "an abnormal flag outside H/L", _set("report.items.0.abnormal_flag", "!")),
    (Trade.LAB_REPORT, "an exam answered as a lab report", _set("report.kind", "EXAM")),
]


@pytest.mark.parametrize("trade", list(VALID))
def test_the_handlers_answers_are_accepted(trade: Trade) -> None:
    validate_answer(trade, copy.deepcopy(VALID[trade]))


@pytest.mark.parametrize(("trade", "what", "change"), FORGED, ids=[f[1] for f in FORGED])
def test_a_forged_answer_is_refused_with_1009(trade: Trade, what: str, change: Change) -> None:
    body = copy.deepcopy(VALID[trade])
    change(body)
    with pytest.raises(EnvelopeError) as refused:
        validate_answer(trade, body)
    assert refused.value.result_code == codes.BODY_INVALID


@pytest.mark.parametrize("trade", [Trade.QUERY_REGISTRATION, Trade.QUERY_CHARGE])
def test_an_order_never_seen_is_none_and_nothing_more(trade: Trade) -> None:
    validate_answer(trade, {"status": "NONE", "order_no": "O9"})
    with pytest.raises(EnvelopeError):
        validate_answer(trade, {"status": "NONE", "order_no": "O9", "reg_no": "RG1"})


def test_an_unknown_record_is_answered_with_nothing_more() -> None:
    validate_answer(Trade.PATIENT_QUERY, {"exists": False})
    with pytest.raises(EnvelopeError):
        validate_answer(Trade.PATIENT_QUERY, {"exists": False, "mrn": "M00000001"})


def test_every_his_code_has_an_answer_model_of_its_own() -> None:
    from envelope.messages import Ack, answer_model
    from integration_platform.dispatch import HANDLERS

    assert all(answer_model(trade) is not Ack for trade in HANDLERS)
