"""The compose file's own commands and environment, run as local processes, take an insured
payment through every zone: what `docker-compose up` would start, checked without Docker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.deploy.compose_file import DEV_ENV_PATH, is_job, load_compose, read_env_file
from tests.deploy.local_compose import LocalCompose
from tests.e2e.patient import Patient, pay_at_cashier


@pytest.fixture(scope="module")
def compose_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCompose]:
    """Every compose service started as compose would, each waited for healthy."""
    workdir: Path = tmp_path_factory.mktemp("compose")
    services = load_compose(read_env_file(DEV_ENV_PATH))["services"]
    running = LocalCompose(services, workdir)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for name in running.processes:
            print(f"--- {name} (last lines)\n{running.tail(name, 10)}")


def test_every_long_running_compose_service_starts_and_passes_its_healthcheck(
    compose_stack: LocalCompose,
) -> None:
    long_running = {
        name
        for name, service in compose_stack.services.items()
        if not is_job(service) and service.get("image", "").startswith("hospital-pay")
    }
    assert {"cloud-worker", "insurance-scheduler", "hospital-gateway"} <= long_running
    for name in sorted(long_running):
        assert compose_stack.processes[name].poll() is None, compose_stack.tail(name)
        check = compose_stack.healthcheck(name)
        assert check.returncode == 0, (name, check.stderr.decode(errors="replace"))


def test_insured_payment_goes_through_the_compose_services(compose_stack: LocalCompose) -> None:
    patient = Patient(
        compose_stack.url("cloud-service"), "13800000091", compose_stack.url("sms-sim")
    )
    patient.sign_in()
    record = patient.bind("110105198001010016", "张伟", record_phone="13800000001")
    assert record["insured"] and record["patient_type"] == "EMPLOYEE"
    schedule = patient.todays_schedule(record["mrn"])
    order = patient.register(record["mrn"], schedule["schedule_id"], "INSURANCE", "WECHAT")
    paying = patient.pay(order["order_no"])
    assert paying["cashier_url"].startswith(compose_stack.url("wechatpay-sim"))
    pay_at_cashier(paying["cashier_url"])
    done = patient.wait_for_state(order["order_no"], "CONFIRMED")

    split = done["split"]
    assert split["medfee_sumamt"] == split["hifp_pay"] + split["acct_pay"] + split["psn_cash_pay"]
    assert done["total_fen"] == split["medfee_sumamt"] == schedule["total"]
    assert done["cash_fen"] == split["psn_cash_pay"] > 0 and done["setl_id"]
    assert "INSURANCE_SETTLED" in [e["to_state"] for e in done["history"]]
    trade = requests.get(
        f"{compose_stack.url('wechatpay-sim')}/sim/trades/{done['out_trade_no']}", timeout=10
    ).json()
    assert trade["trade_state"] == "SUCCESS" and trade["amount_fen"] == split["psn_cash_pay"]


def test_logs_of_the_run_hold_json_access_lines_and_no_id_number_or_name(
    compose_stack: LocalCompose,
) -> None:
    # Runs after the payment above: the patient's ID number and name crossed every zone.
    access = []
    for name in compose_stack.processes:
        text = compose_stack.tail(name, 100_000)
        assert "110105198001010016" not in text and "张伟" not in text, name
        access += [line for line in text.splitlines() if line.startswith('{"log":"access"')]
    parsed = [json.loads(line) for line in access]
    paths = {(entry["service"], entry["path"]) for entry in parsed}
    assert ("cloud_service", "/api/v1/patients") in paths
    assert ("hospital_gateway", "/gateway") in paths
    assert all("?" not in entry["path"] for entry in parsed)
