"""`python -m cloud_service reconcile` against the running system: every ledger is read
(both channel bills, the insurance totals, the HIS) and the report is stored."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import select

from cloud_service import build_deps
from cloud_service.reconcile import stored_report
from cloud_service.settings import Settings
from devstack.stack import ROOT, Stack, service_env
from envelope import clock
from integration_platform.models import Bill
from integration_platform.models import Patient as HisPatient
from tests.e2e.his_access import his_session
from tests.e2e.patient import Patient, pay_at_cashier


def _last_billed_patient(stack: Stack) -> tuple[str, str, str]:
    """A seeded patient with unpaid bills that no other e2e test pays: (id_card_no, name,
    the record's phone)."""
    with his_session(stack) as session:
        row = session.execute(
            select(HisPatient.id_card_no, HisPatient.name, HisPatient.phone)
            .join(Bill, Bill.mrn == HisPatient.mrn)
            .where(Bill.status == "UNPAID")
            .order_by(HisPatient.mrn.desc())
            .limit(1)
        ).one()
    return str(row[0]), str(row[1]), str(row[2])


def test_reconcile_command_reads_every_ledger_of_today(stack: Stack) -> None:
    id_card_no, name, phone = _last_billed_patient(stack)
    patient = Patient(stack.url("cloud_service"), phone, stack.url("sms"))
    patient.sign_in()
    record = patient.bind(id_card_no, name)
    bills = patient.call("GET", f"/patients/{record['mrn']}/bills").json()
    body = {"mrn": record["mrn"], "bill_nos": [b["bill_no"] for b in bills["bills"]],
            "bills_digest": bills["bills_digest"], "pay_mode": "SELF_PAY",
            "channel": "ALIPAY"}  # fmt: skip
    order = patient.call("POST", "/charges", json=body).json()
    pay_at_cashier(patient.pay(order["order_no"])["cashier_url"])
    order = patient.wait_for_state(order["order_no"], "CONFIRMED")

    env = service_env(stack.env, "cloud_service", stack.var_dir)
    today = clock.today().isoformat()
    done = subprocess.run(
        [sys.executable, "-m", "cloud_service", "reconcile", "--date", today],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["date"] == today and report["sources"]["ALIPAY"]["ok"]
    assert report["sources"]["WECHAT"]["ok"] and report["sources"]["insurance"]["ok"]
    assert report["sources"]["ALIPAY"]["payments_fen"] >= order["cash_fen"] > 0
    assert order["order_no"] not in {d["order_no"] for d in report["differences"]}
    deps = build_deps(Settings.from_env(env))
    assert stored_report(deps, today) == report
