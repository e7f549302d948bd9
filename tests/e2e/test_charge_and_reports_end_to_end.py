"""Outpatient bills paid end to end (CHARGE: insurance first-split, the rest by WeChat Pay),
and reports that only their own patient may read, every process real."""

from __future__ import annotations

from typing import Any

import requests

from devstack.stack import Stack
from integration_platform.seed import all_bills, patient_rows
from tests.e2e.his_access import hospital_client
from tests.e2e.patient import Patient, pay_at_cashier


def _insured_employee_with_bills() -> tuple[Any, ...]:
    """A seeded employee (not a demo patient) who has unpaid bills of several classes."""
    billed = {bill[2] for bill in all_bills()}
    return next(row for row in patient_rows()[5:] if row[7] == "EMPLOYEE" and row[1] in billed)


def test_a_patient_pays_all_unpaid_bills_with_insurance_and_wechat(stack: Stack) -> None:
    _pid, mrn, id_card_no, name, _gender, _born, phone, *_ = _insured_employee_with_bills()
    patient = Patient(stack.url("cloud_service"), phone, stack.url("sms"))
    patient.sign_in()
    assert patient.bind(id_card_no, name)["mrn"] == mrn
    listed = patient.call("GET", f"/patients/{mrn}/bills").json()
    assert listed["bills"] and listed["total_fen"] == sum(b["amount"] for b in listed["bills"])
    item = patient.call("GET", f"/patients/{mrn}/bills/{listed['bills'][0]['bill_no']}").json()
    assert {"insurance_class", "list_code"} <= set(item["items"][0])
    order = patient.call(
        "POST",
        "/charges",
        json={
            "mrn": mrn,
            "bill_nos": [b["bill_no"] for b in listed["bills"]],
            "bills_digest": listed["bills_digest"],
            "pay_mode": "INSURANCE",
            "channel": "WECHAT",
        },
    )
    assert order.status_code == 200, order.text
    paying = patient.pay(order.json()["order_no"])
    assert paying["state"] == "AWAITING_PAYMENT" and paying["cashier_url"]
    pay_at_cashier(paying["cashier_url"])
    done = patient.wait_for_state(paying["order_no"], "CONFIRMED")

    split = done["split"]
    assert done["total_fen"] == split["medfee_sumamt"] == listed["total_fen"]
    assert split["medfee_sumamt"] == split["hifp_pay"] + split["acct_pay"] + split["psn_cash_pay"]
    assert done["cash_fen"] == split["psn_cash_pay"] and done["result"]["receipt_no"]
    his = hospital_client(stack).send("3005", {"order_no": done["order_no"]})
    assert his.ok and his.body["status"] == "PAID"
    assert his.body["bill_nos"] == sorted(b["bill_no"] for b in listed["bills"])
    assert his.body["settlement"]["setl_id"] == done["setl_id"]
    assert patient.call("GET", f"/patients/{mrn}/bills").json()["bills"] == []
    trade = requests.get(
        f"{stack.url('wechatpay')}/sim/trades/{done['out_trade_no']}", timeout=10
    ).json()
    assert trade["trade_state"] == "SUCCESS" and trade["amount_fen"] == split["psn_cash_pay"]


def test_nobody_reads_another_patients_report(stack: Stack) -> None:
    owner = Patient(stack.url("cloud_service"), "13700000002", stack.url("sms"))
    owner.sign_in()  # a family member, with the code texted to 张伟's phone
    zhang = owner.bind("110105198001010016", "张伟", record_phone="13800000001")["mrn"]
    reports = owner.call("GET", f"/patients/{zhang}/reports").json()["reports"]
    report_id = reports[0]["report_id"]
    lab = owner.call("GET", f"/patients/{zhang}/reports/{report_id}").json()["report"]
    assert any(item["abnormal_flag"] for item in lab["items"])
    assert all({"value", "unit", "reference_range"} <= set(item) for item in lab["items"])

    stranger = Patient(stack.url("cloud_service"), "13800000002", stack.url("sms"))
    stranger.sign_in()
    li = stranger.bind("310101199206150027", "李娜")["mrn"]
    for path in (f"/patients/{zhang}/reports/{report_id}", f"/patients/{zhang}/reports"):
        refused = stranger.call("GET", path)
        assert refused.status_code == 409 and refused.json()["result_code"] == "2011"
    # Even a forged request past the cloud, through the gateway, is refused by the HIS.
    forged = hospital_client(stack).send("5003", {"report_id": report_id, "mrn": li})
    assert forged.result_code == "2011" and forged.body == {}
