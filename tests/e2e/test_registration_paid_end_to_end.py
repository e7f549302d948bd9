"""A registration paid end to end through every zone, every process real."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import requests

from devstack.stack import Stack
from envelope import CLOUD, EnvelopeClient, KeyRing
from tests.e2e.patient import Patient, pay_at_cashier


def _hospital(stack: Stack, receiver: str) -> EnvelopeClient:
    """Ask the hospital what it recorded, as the cloud would: through the gateway."""
    ring = KeyRing.from_settings(
        "CLOUD", stack.env["ENVELOPE_KEY_ID_CLOUD"], stack.env["ENVELOPE_KEY_CLOUD"]
    )
    return EnvelopeClient(
        stack.env["GATEWAY_URL"],
        ring,
        sender=CLOUD,
        receiver=receiver,
        hospital_code=stack.env["HOSPITAL_CODE"],
    )


def _ledger_2207(stack: Stack, order_no: str) -> tuple[str, str]:
    """The 2207 row of the insurance ledger: its outcome and the setl_id in its reply."""
    with sqlite3.connect(stack.var_dir / "insurance_frontend.db") as db:
        outcome, msgid, reply = db.execute(
            "SELECT outcome, msgid, reply FROM insurance_ledger WHERE infno = '2207' "
            "AND order_no = ?",
            (order_no,),
        ).fetchone()
    assert len(msgid) == 30 and msgid.startswith(stack.env["FIXMEDINS_CODE"])
    return outcome, json.loads(reply)["output"]["setlinfo"]["setl_id"]


def _book_and_pay(
    stack: Stack, phone: str, id_card_no: str, name: str, pay_mode: str, channel: str = "WECHAT"
) -> tuple[dict[str, Any], dict[str, Any]]:
    patient = Patient(stack.url("cloud_service"), phone, stack.url("sms"))
    patient.sign_in()
    record = patient.bind(id_card_no, name)
    schedule = patient.todays_schedule(record["mrn"])
    order = patient.register(record["mrn"], schedule["schedule_id"], pay_mode, channel)
    assert order["state"] == "CREATED" and order["lock_id"]
    assert order["total_fen"] == schedule["total"]
    paying = patient.pay(order["order_no"])
    assert paying["state"] == "AWAITING_PAYMENT" and paying["cashier_url"]
    pay_at_cashier(paying["cashier_url"])
    return patient.wait_for_state(order["order_no"], "CONFIRMED"), record


def test_insured_employee_pays_a_registration_split_between_insurance_and_wechat(
    stack: Stack,
) -> None:
    order, record = _book_and_pay(stack, "13800000001", "110105198001010016", "张伟", "INSURANCE")
    assert record["insured"] and record["patient_type"] == "EMPLOYEE"
    split = order["split"]
    assert order["total_fen"] == split["medfee_sumamt"]
    assert split["medfee_sumamt"] == split["hifp_pay"] + split["acct_pay"] + split["psn_cash_pay"]
    assert order["cash_fen"] == split["psn_cash_pay"]
    assert [e["to_state"] for e in order["history"]] == [
        "CREATED",
        "PRESETTLED",
        "AWAITING_PAYMENT",
        "PAID",
        "INSURANCE_SETTLED",
        "CONFIRMED",
    ]

    # one order, one trace: the pay request's 4004 sits in the gateway's audit of the order
    audit = requests.get(
        f"{stack.url('hospital_gateway')}/audit",
        params={"trace_id": order["trace_id"]},
        headers={"Authorization": f"Bearer {stack.env['GATEWAY_AUDIT_TOKEN']}"},
        timeout=10,
    ).json()["records"]
    assert {"2006", "4004", "4005", "2008"} <= {row["trade_code"] for row in audit}

    his = _hospital(stack, "HIP").send("2010", {"order_no": order["order_no"]})
    assert his.ok and his.body["status"] == "CONFIRMED" and his.body["reg_no"]
    assert his.body["settlement"]["setl_id"] == order["setl_id"]
    assert his.body["settlement"]["cash"] == split["psn_cash_pay"]

    insurance = _hospital(stack, "INSFE").send("4007", {"order_no": order["order_no"]})
    assert insurance.ok and insurance.body["status"] == "SETTLED"
    assert insurance.body["setl_id"] == order["setl_id"]
    assert insurance.body["split"] == split

    assert _ledger_2207(stack, order["order_no"]) == ("OK", insurance.body["setl_id"])

    trade = requests.get(
        f"{stack.url('wechatpay')}/sim/trades/{order['out_trade_no']}", timeout=10
    ).json()
    assert trade["trade_state"] == "SUCCESS"
    assert trade["amount_fen"] == split["psn_cash_pay"] > 0


def test_self_pay_patient_pays_cash_only(stack: Stack) -> None:
    order, record = _book_and_pay(stack, "13800000003", "440304197503200035", "王强", "SELF_PAY")
    assert not record["insured"]
    assert order["cash_fen"] == order["total_fen"] and order["split"] is None
    assert "INSURANCE_SETTLED" not in [e["to_state"] for e in order["history"]]
    his = _hospital(stack, "HIP").send("2010", {"order_no": order["order_no"]})
    assert his.body["settlement"]["pay_mode"] == "SELF_PAY"
    assert his.body["settlement"]["cash"] == order["total_fen"]


def test_insured_patient_choosing_full_self_pay_skips_insurance(stack: Stack) -> None:
    order, record = _book_and_pay(stack, "13800000002", "310101199206150027", "李娜", "SELF_PAY")
    assert record["insured"]
    assert order["setl_id"] is None and order["cash_fen"] == order["total_fen"]
    insurance = _hospital(stack, "INSFE").send("4007", {"order_no": order["order_no"]})
    assert insurance.ok and insurance.body["status"] == "NONE"


def test_insured_resident_pays_the_cash_part_with_alipay(stack: Stack) -> None:
    order, record = _book_and_pay(
        stack, "13800000001", "110108201008080010", "张小明", "INSURANCE", "ALIPAY"
    )
    split = order["split"]
    assert record["insured"] and order["channel"] == "ALIPAY"
    assert split["medfee_sumamt"] == split["hifp_pay"] + split["acct_pay"] + split["psn_cash_pay"]
    trade = requests.get(
        f"{stack.url('alipay')}/sim/trades/{order['out_trade_no']}", timeout=10
    ).json()
    assert trade["trade_status"] == "TRADE_SUCCESS"
    assert trade["amount_fen"] == order["cash_fen"] == split["psn_cash_pay"] > 0
