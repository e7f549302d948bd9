"""No service writes an ID card number or a full name to its log (DESIGN §7): known patients
bind, read their bills and reports, book and pay (insured and self-pay, a newly created
record among them), and every log file of the stack is then searched for them."""

from __future__ import annotations

from typing import Any

from devstack.stack import Stack
from servicekit.idcard import check_digit
from tests.e2e.patient import Patient, pay_at_cashier

DEMO = {
    "110105198001010016": "张伟",
    "310101199206150027": "李娜",
    "440304197503200035": "王强",
    "110108201008080010": "张小明",
}
RECORD_PHONES = {  # each demo record's phone, where the binding code goes
    "110105198001010016": "13800000001",
    "310101199206150027": "13800000002",
    "440304197503200035": "13800000003",
    "110108201008080010": "13800000001",
}
NEW_ID_FIRST17 = "11010519950312457"
NEW_ID = NEW_ID_FIRST17 + check_digit(NEW_ID_FIRST17)
NEW_NAME = "欧阳明轩"  # a record the HIS does not have yet: bound by creating it


def _book_and_pay(patient: Patient, mrn: str, pay_mode: str) -> None:
    order = patient.register(mrn, patient.todays_schedule(mrn)["schedule_id"], pay_mode)
    paying = patient.pay(order["order_no"])
    if paying.get("cashier_url"):
        pay_at_cashier(paying["cashier_url"])
    patient.wait_for_state(order["order_no"], "CONFIRMED")


def test_no_log_line_holds_an_id_card_number_or_a_name(stack: Stack) -> None:
    records: dict[str, dict[str, Any]] = {}
    for n, (id_card_no, name) in enumerate({**DEMO, NEW_ID: NEW_NAME}.items()):
        patient = Patient(stack.url("cloud_service"), f"1370000{n:04d}", stack.url("sms"))
        patient.sign_in()
        record = patient.bind(id_card_no, name, RECORD_PHONES.get(id_card_no, ""))
        records[id_card_no] = {"patient": patient, "mrn": record["mrn"]}
        assert patient.call("GET", f"/patients/{record['mrn']}/bills").status_code == 200
        assert patient.call("GET", f"/patients/{record['mrn']}/reports").status_code == 200
    new = records[NEW_ID]
    _book_and_pay(new["patient"], new["mrn"], "SELF_PAY")
    insured = records["110108201008080010"]
    _book_and_pay(insured["patient"], insured["mrn"], "INSURANCE")

    logs = sorted((stack.var_dir / "logs").glob("*.log"))
    assert {"cloud_service.log", "hospital_gateway.log", "integration_platform.log"} <= {
        log.name for log in logs
    }
    assert sum(log.stat().st_size for log in logs) > 0
    secrets = [*DEMO, *DEMO.values(), NEW_ID, NEW_NAME]
    found = [
        (log.name, secret)
        for log in logs
        for secret in secrets
        if secret in log.read_text(encoding="utf-8", errors="replace")
    ]
    assert found == []
