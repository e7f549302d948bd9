"""What is measured: the envelope itself, the gateway hop, complete insured registrations."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from bench.hop import seeded_mrn
from bench.measure import Result, cpu_seconds_by_group, run, summarise
from cloud_service.saga import FINAL
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
    return [
        run(
            "1003 direct to integration_platform",
            lambda n: direct.send("1003", {"mrn": seeded_mrn(n)}).ok,
            count,
            concurrency,
        ),
        run(
            "1003 through the gateway (every check on)",
            lambda n: via_gateway.send("1003", {"mrn": seeded_mrn(n)}).ok,
            count,
            concurrency,
        ),
    ]


# How often the patient's page asks for its order: the app's polling is load on the cloud
# too, so it is what a page does (twice a second), and it bounds the latency's precision.
POLL_SECONDS = 0.5


def insured_people(count: int) -> list[tuple[str, str, str]]:
    """(id_card_no, name, the record's phone) of ``count`` persons both the HIS and the
    insurance center know."""
    from integration_platform.seed import patient_rows

    extra = Path(__file__).resolve().parent.parent / "simulators/insurance_center"
    persons = json.loads((extra / "persons_extra.json").read_text(encoding="utf-8"))
    phones = {row[2]: row[6] for row in patient_rows()}
    demo = [("110105198001010016", "张伟"), ("310101199206150027", "李娜")]
    people = demo + [(p["certno"], p["psn_name"]) for p in persons]
    return [(number, name, phones.get(number, "")) for number, name in people][:count]


Chain = tuple[Patient, str, list[str]]  # a patient, the bound record, the clinics in turn


def insured_registrations(
    stack: Stack, people: int = 40, per_patient: int = 8, concurrency: int = 16
) -> Result:
    """Complete insured registrations: lock, pre-settle, pay the cash part, settle, confirm.

    Each patient registers one after the other (concurrent orders of one person pre-settle
    against the same personal account and are rightly refused at settlement, 2006); up to
    ``concurrency`` patients at once."""
    return run_registrations(stack, registration_chains(stack, people, per_patient), concurrency)


def registration_chains(stack: Stack, people: int, per_patient: int) -> list[Chain]:
    """Sign each patient in, bind the record and choose the clinics (not measured)."""
    chains: list[Chain] = []
    for n, (id_card_no, name, phone) in enumerate(insured_people(people)):
        patient = Patient(stack.url("cloud_service"), phone, stack.url("sms"))
        patient.sign_in()
        try:
            mrn = patient.bind(id_card_no, name)["mrn"]
        except AssertionError:  # a person the HIS does not know: skip, the count says so
            continue
        schedules = _todays_schedules(patient)
        # spread the patients over the clinics so no clinic runs out of slots, one clinic a
        # department (a patient registers once per department a day)
        chosen = [schedules[(n * per_patient + k) % len(schedules)] for k in range(per_patient)]
        by_department = {dept: sid for sid, dept in reversed(chosen)}
        chains.append((patient, mrn, list(by_department.values())))
    return chains


def run_registrations(stack: Stack, chains: list[Chain], concurrency: int) -> Result:
    """Run the chains, ``concurrency`` patients at once, measuring time and CPU."""

    def chain(i: int) -> list[tuple[float, bool]]:
        patient, mrn, schedules = chains[i]
        return [_timed(partial(_register_and_settle, patient, mrn, s)) for s in schedules]

    groups = {name: process.pid for name, process in stack.processes.items()}
    cpu_before = cpu_seconds_by_group(groups)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = [o for part in pool.map(chain, range(len(chains))) for o in part]
    cpu_after = cpu_seconds_by_group(groups)
    per = {n: (cpu_after[n] - cpu_before[n]) * 1000 / max(1, len(outcomes)) for n in groups}
    result = summarise(
        f"complete insured registrations (all four services, {concurrency} patients at once)",
        [latency for latency, _ in outcomes],
        time.perf_counter() - started,
        sum(1 for _, ok in outcomes if not ok),
    )
    return dataclasses.replace(result, cpu_ms=per)


# The outside parties and the infrastructure: measured, but not the project's own CPU.
NOT_OURS = frozenset({"insurance_center", "wechatpay", "alipay", "sms", "redis"})


def cpu_table(per: dict[str, float]) -> list[str]:
    """Markdown rows: CPU ms per registration by process, the project's own services first."""
    ours = {n: ms for n, ms in per.items() if n not in NOT_OURS}
    theirs = {n: ms for n, ms in per.items() if n in NOT_OURS}
    rows = ["| process | CPU ms per complete insured registration |", "|---|---|"]
    for group in (ours, theirs):
        rows += [f"| {n} | {ms:.0f} |" for n, ms in sorted(group.items(), key=lambda x: -x[1])]
    rows.append(f"| **the project's own services** | **{sum(ours.values()):.0f}** |")
    rows.append(f"| simulators and Redis | {sum(theirs.values()):.0f} |")
    return rows


def _timed(call: Callable[[], bool]) -> tuple[float, bool]:
    started = time.perf_counter()
    ok = call()
    return time.perf_counter() - started, ok


def _register_and_settle(patient: Patient, mrn: str, schedule_id: str) -> bool:
    """One insured registration to a final state; True when CONFIRMED."""
    try:
        order = patient.register(mrn, schedule_id, "INSURANCE")
        pay_at_cashier(patient.pay(order["order_no"])["cashier_url"])
        done = patient.wait_for_state(order["order_no"], FINAL, 60, POLL_SECONDS)
    except AssertionError:  # refused, or not final within a minute
        return False
    return bool(done["state"] == "CONFIRMED")


def _todays_schedules(patient: Patient) -> list[tuple[str, str]]:
    from envelope import clock

    today = clock.today().isoformat()
    answer = patient.call("GET", "/schedules", params={"start_date": today, "end_date": today})
    rows = answer.json()["schedules"]
    return [(s["schedule_id"], s["dept_code"]) for s in rows if s["remaining"] > 0]
