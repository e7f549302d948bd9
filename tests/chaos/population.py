"""The chaos run's patients and orders: bound through the public API, then paid (or left
unpaid) at the channels' cashiers, each call retried while services die around it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import requests
from sqlalchemy import select

from devstack.stack import Stack
from integration_platform.models import Bill
from integration_platform.models import Patient as HisPatient
from tests.e2e.his_access import add_todays_schedule, his_session
from tests.e2e.patient import Patient


@dataclass
class Plan:
    """One order to place: whose, what, how paid, and whether the patient pays at all."""

    index: int
    mrn: str
    insured: bool
    kind: str  # REG or CHARGE
    pay_mode: str
    channel: str
    pays: bool
    start_after: float = 0.0  # when to start (time.monotonic()): orders spread over the chaos
    patient: Patient | None = None
    order_no: str = ""
    outcome: str = ""


def _retry(action: Callable[[], requests.Response], tries: int = 8) -> requests.Response | None:
    """An API call repeated while the service is down or answers 5xx; None when it gave up."""
    for attempt in range(tries):
        try:
            answer = action()
            if answer.status_code < 500:
                return answer
        except requests.RequestException:
            pass
        time.sleep(0.5 + attempt * 0.5)
    return None


def his_patients(stack: Stack, count: int) -> list[tuple[str, str, str, str, bool]]:
    """Up to ``count`` patients of the HIS seed: (mrn, id_card_no, name, the record's phone,
    has unpaid bills)."""
    with his_session(stack) as session:
        rows = session.execute(
            select(HisPatient.mrn, HisPatient.id_card_no, HisPatient.name, HisPatient.phone)
            .order_by(HisPatient.mrn)
            .limit(count)
        ).all()
        billed = set(session.scalars(select(Bill.mrn).where(Bill.status == "UNPAID")))
    return [(m, i, n, p, m in billed) for m, i, n, p in rows]


def plans(
    stack: Stack, orders: int, rng: random.Random, schedule_ids: list[str], spread: float
) -> list[Plan]:
    """Bind one app user per patient and plan the orders (a third of those with unpaid bills
    pay them), starting at random moments within ``spread`` seconds."""
    base = stack.url("cloud_service")
    found = his_patients(stack, orders)
    assert len(found) >= orders, f"the HIS seed has only {len(found)} patients"
    out = []
    for n, (mrn, id_card_no, name, phone, billed) in enumerate(found):
        patient = Patient(base, phone, stack.url("sms"))  # the record's own phone
        patient.sign_in()
        record = patient.bind(id_card_no, name)
        insured = bool(record.get("insured"))
        kind = "CHARGE" if billed and n % 3 == 1 else "REG"
        out.append(
            Plan(
                index=n,
                mrn=mrn,
                insured=insured,
                kind=kind,
                pay_mode="INSURANCE" if insured and n % 3 != 0 else "SELF_PAY",
                channel="WECHAT" if n % 2 == 0 else "ALIPAY",
                pays=rng.random() > 0.1,
                start_after=time.monotonic() + rng.uniform(0, spread),
                patient=patient,
                outcome=schedule_ids[n % len(schedule_ids)],
            )
        )
    return out


# Departments (with one of their doctors) of the top-up rounds: a patient registers once per
# department a day (2020 otherwise), and the first round's clinics are all in D0101.
TOP_UP_CLINICS = (("D0102", "DR005"), ("D0103", "DR007"), ("D0201", "DR009"), ("D0102", "DR004"))


def schedules(
    stack: Stack,
    orders: int,
    tag: str,
    clinics: int = 2,
    where: tuple[str, str] = ("D0101", "DR003"),
) -> list[str]:
    """``clinics`` clinics of today (in the department ``where`` names, with its doctor) with a
    slot for every order."""
    ids = [f"CHAOS{tag}{n}" for n in range(clinics)]
    for schedule_id in ids:
        add_todays_schedule(stack, schedule_id, orders // clinics + 5, *where)
    return ids


def top_up(
    stack: Stack, done: list[Plan], count: int, tag: str, spread: float, round_no: int = 0
) -> list[Plan]:
    """``count`` more registrations by the patients of ``done``, in a clinic of their own in a
    department of the round's own (a patient registers once per department a day), for when
    refusals left the run short of orders."""
    where = TOP_UP_CLINICS[round_no % len(TOP_UP_CLINICS)]
    (schedule_id,) = schedules(stack, count, tag, clinics=1, where=where)
    now = time.monotonic()
    return [
        replace(
            done[n % len(done)],
            kind="REG",
            start_after=now + (n / max(count, 1)) * spread,
            order_no="",
            outcome=schedule_id,
        )
        for n in range(count)
    ]


def outcome_of(plan: Plan) -> dict[str, Any]:
    """What became of one plan, for the report (no personal data: the record number only)."""
    keep = ("mrn", "kind", "pay_mode", "channel", "order_no", "outcome")
    return {name: getattr(plan, name) for name in keep}


def _open(plan: Plan) -> dict[str, Any] | None:
    assert plan.patient is not None
    p = plan.patient
    if plan.kind == "REG":
        body: dict[str, Any] = {"mrn": plan.mrn, "schedule_id": plan.outcome,
                                "pay_mode": plan.pay_mode, "channel": plan.channel}  # fmt: skip
        answer = _retry(lambda: p.call("POST", "/registrations", json=body), tries=2)
    else:
        listed = _retry(lambda: p.call("GET", f"/patients/{plan.mrn}/bills"))
        if listed is None or listed.status_code != 200 or not listed.json().get("bills"):
            return None
        bills = listed.json()
        body = {"mrn": plan.mrn, "bill_nos": [b["bill_no"] for b in bills["bills"]],
                "bills_digest": bills["bills_digest"], "pay_mode": plan.pay_mode,
                "channel": plan.channel}  # fmt: skip
        answer = _retry(lambda: p.call("POST", "/charges", json=body), tries=2)
    if answer is None or answer.status_code != 200:
        return None
    return dict(answer.json())


def drive(plan: Plan) -> None:
    """Place the order, start paying, and pay at the cashier (unless this patient walks away)."""
    assert plan.patient is not None
    time.sleep(max(0.0, plan.start_after - time.monotonic()))
    opened = _open(plan)
    if opened is None:
        plan.outcome = "not placed"
        return
    plan.order_no = opened["order_no"]
    if not plan.pays:
        plan.outcome = "walked away"
        return
    p, order_no = plan.patient, plan.order_no
    paying = _retry(lambda: p.call("POST", f"/orders/{order_no}/pay"))
    if paying is None or paying.status_code != 200 or not paying.json().get("cashier_url"):
        plan.outcome = "no cashier"
        return
    url = paying.json()["cashier_url"]
    for _ in range(5):
        try:
            page = requests.get(url, timeout=10)
            if requests.post(f"{page.url.split('?')[0]}/pay", timeout=10).status_code == 200:
                plan.outcome = "paid"
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    plan.outcome = "cashier failed"
