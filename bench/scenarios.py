"""What is measured: the envelope itself, the gateway hop, complete insured registrations."""

from __future__ import annotations

import itertools

from bench.measure import Result, run
from devstack.stack import Stack
from envelope import CLOUD, EnvelopeClient, KeyRing, Link, MemoryNonceStore, Verifier
from tests.e2e.patient import Patient, pay_at_cashier


def envelope_sign_verify(count: int = 20_000) -> Result:
    """Build, sign and verify one envelope (canonical JSON + HMAC-SHA256), one core."""
    ring = KeyRing.from_settings("CLOUD", "k1", "secret")
    client = EnvelopeClient(
        "http://unused", ring, sender=CLOUD, receiver="HIP", hospital_code="H00001"
    )
    verifier = Verifier([Link(ring, frozenset({CLOUD}))], MemoryNonceStore())
    body = {
        "order_no": "R2026112600000001",
        "mrn": "M00000001",
        "kind": "REG",
        "lock_id": "L1",
        "acct_used": True,
    }

    def one(_: int) -> bool:
        envelope = client.build("4005", body)
        verifier.verify(envelope["header"], envelope["body"])
        return True

    return run("envelope build + sign + verify (1 thread)", one, count, 1)


def _client(stack: Stack, url: str, link: str) -> EnvelopeClient:
    ring = KeyRing.from_settings(
        link, stack.env[f"ENVELOPE_KEY_ID_{link}"], stack.env[f"ENVELOPE_KEY_{link}"]
    )
    return EnvelopeClient(
        url, ring, sender=CLOUD, receiver="HIP", hospital_code=stack.env["HOSPITAL_CODE"]
    )


def gateway_hop(stack: Stack, count: int = 2000, concurrency: int = 16) -> list[Result]:
    """1003 (patient info) straight to integration_platform, then through the gateway."""
    direct = _client(stack, stack.env["HIP_ENVELOPE_URL"], "HIP")
    via_gateway = _client(stack, stack.env["GATEWAY_URL"], "CLOUD")
    body = {"mrn": "M00000001"}
    return [
        run(
            "1003 direct to integration_platform",
            lambda _: direct.send("1003", body).ok,
            count,
            concurrency,
        ),
        run(
            "1003 through the gateway (every check on)",
            lambda _: via_gateway.send("1003", body).ok,
            count,
            concurrency,
        ),
    ]


def insured_registrations(stack: Stack, per_patient: int = 20, concurrency: int = 8) -> Result:
    """Complete insured registrations: lock, pre-settle, pay the cash part, settle, confirm."""
    people = [
        ("13900000001", "110105198001010016", "张伟"),
        ("13900000002", "310101199206150027", "李娜"),
        ("13900000003", "110108201008080010", "张小明"),
    ]
    tasks = []
    for phone, id_card_no, name in people:
        patient = Patient(stack.url("cloud_service"), phone)
        patient.sign_in()
        mrn = patient.bind(id_card_no, name)["mrn"]
        schedules = _todays_schedules(patient)
        tasks += [(patient, mrn, s) for s in itertools.islice(schedules, per_patient)]

    def one(i: int) -> bool:
        patient, mrn, schedule_id = tasks[i]
        order = patient.register(mrn, schedule_id, "INSURANCE")
        paying = patient.pay(order["order_no"])
        pay_at_cashier(paying["cashier_url"])
        return patient.wait_for_state(order["order_no"], "CONFIRMED", 60)["state"] == "CONFIRMED"

    return run("insured registration, end to end", one, len(tasks), concurrency)


def _todays_schedules(patient: Patient) -> list[str]:
    from envelope import clock

    today = clock.today().isoformat()
    answer = patient.call("GET", "/schedules", params={"start_date": today, "end_date": today})
    return [s["schedule_id"] for s in answer.json()["schedules"] if s["remaining"] > 0]
