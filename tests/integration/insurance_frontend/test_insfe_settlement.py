"""insurance_frontend through its test client, with real Redis and SQLite, the insurance
center simulator over real HTTP, and a fake integration_platform over real HTTP."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from devstack.ports import free_port
from envelope import clock
from insurance_frontend import Settings, create_app
from tests.integration.insurance_frontend.insfe_calls import adds_up, parts, reg_body, send
from tests.integration.insurance_frontend.insfe_neighbours import (
    FIXMEDINS_CODE,
    FakeHis,
    center_app,
    center_url,
    serving,
)

ZHANG_WEI_ID = "110105198001010016"


def year_usage(person: dict[str, Any]) -> dict[str, int]:
    """The person's deductible and pool use of this year at the center (zero when none)."""
    return dict(person["years"].get(str(clock.today().year), {"dedc_fen": 0, "hifp_fen": 0}))


def slow_center(center: str, infno: str, seconds: float) -> None:
    spec = {"infno": infno, "mode": "delay", "seconds": seconds}
    assert requests.post(f"{center}/sim/faults", json=spec, timeout=5).status_code == 201


def wait_for_2207_sent(app: Flask, order_no: str) -> None:
    """Until the order's 2207 is in the ledger, i.e. on its way to the (slow) center."""
    deadline = time.monotonic() + 10
    while not any(r.infno == "2207" for r in parts(app).ledger.rows(order_no)):
        assert time.monotonic() < deadline, "no 2207 was sent"
        time.sleep(0.05)


def test_insured_person_info_answers_balance_in_fen(app: Flask) -> None:
    code, _msg, body = send(app, "4003", {"id_card_no": ZHANG_WEI_ID, "name": "张伟"})
    assert code == "0000"
    assert (body["insutype"], body["acct_balance"], body["status"]) == ("310", 80000, "INSURED")


def test_presettle_settle_query_gives_one_consistent_split(
    app: Flask, his: FakeHis, center: str
) -> None:
    body = reg_body(his)
    pre = send(app, "4004", body)
    assert pre[0] == "0000", pre
    split = pre[2]["split"]
    # A 5.00 + B 20.00 (18.00 in scope) + C 3.00; deductible 10.00; pool 70% of 13.00;
    # the personal account pays the in-scope share, never class C (policy.json)
    assert split == {
        "medfee_sumamt": 2800,
        "fulamt_ownpay_amt": 300,
        "preselfpay_amt": 200,
        "inscp_scp_amt": 2300,
        "hifp_pay": 910,
        "acct_pay": 1590,
        "psn_cash_pay": 300,
    }
    settled = send(app, "4005", body)
    assert settled[0] == "0000", settled
    assert settled[2]["split"] == split and adds_up(settled[2]["split"])
    setl_id = settled[2]["setl_id"]
    queried = send(app, "4007", {"order_no": body["order_no"]})
    assert queried[2]["status"] == "SETTLED" and queried[2]["setl_id"] == setl_id
    assert queried[2]["split"] == split
    at_center = requests.get(f"{center}/sim/settlements?setl_id={setl_id}", timeout=5).json()
    assert at_center["settlements"][0]["split"]["acct_pay"] == 1590


def test_every_message_is_in_the_ledger_before_it_is_sent(app: Flask, his: FakeHis) -> None:
    national = parts(app).center.national
    ledger, real_http = parts(app).ledger, national.http
    seen: list[tuple[str, str]] = []

    def checking_http(data: bytes) -> tuple[int, bytes]:
        msgid = json.loads(data)["msgid"]
        row = next(r for r in ledger.rows() if r.msgid == msgid)
        seen.append((row.infno, row.outcome))
        return real_http(data)

    national.http = checking_http  # type: ignore[method-assign]
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    assert send(app, "4005", body)[0] == "0000"
    assert ("2207", "PENDING") in seen and all(outcome == "PENDING" for _, outcome in seen)
    rows = [r for r in ledger.rows(body["order_no"]) if r.infno == "2207"]
    assert len(rows) == 1 and rows[0].outcome == "OK"
    assert rows[0].msgid is not None and len(rows[0].msgid) == 30
    assert rows[0].msgid.startswith(FIXMEDINS_CODE) and rows[0].request is not None
    assert rows[0].request["msgid"] == rows[0].msgid and rows[0].sign_no


def test_settle_twice_answers_the_same_settlement(app: Flask, his: FakeHis, center: str) -> None:
    body = reg_body(his)
    send(app, "4004", body)
    first, second = send(app, "4005", body), send(app, "4005", body)
    assert first[0] == second[0] == "0000"
    assert first[2] == second[2]
    psn_no = first[2]["psn_no"]
    listed = requests.get(f"{center}/sim/settlements?psn_no={psn_no}", timeout=5).json()
    assert len(listed["settlements"]) == 1


def test_person_who_is_not_insured_gets_2012(app: Flask, his: FakeHis) -> None:
    code, msg, _ = send(app, "4004", reg_body(his, mrn="M-WQ"))
    assert code == "2012" and msg
    assert send(app, "4003", {"id_card_no": "440304197503200035", "name": "王强"})[0] == "2012"


def test_fees_changed_since_presettle_are_refused_with_2006(app: Flask, his: FakeHis) -> None:
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    his.registrations[body["order_no"]]["fees"]["total"] = 2900
    his.registrations[body["order_no"]]["items"][0]["amount"] = 600
    assert send(app, "4005", body)[0] == "2006"


def test_lost_settle_reply_is_3003_then_4007_resolves_it_by_2601_and_4005_settles(
    settings: Settings, his: FakeHis, center: str
) -> None:
    app = create_app(dataclasses.replace(settings, center_read_timeout=1.0))
    body = reg_body(his)
    pre = send(app, "4004", body)
    assert pre[0] == "0000"
    psn_no = pre[2]["psn_no"]
    before = requests.get(f"{center}/sim/persons/{psn_no}", timeout=5).json()
    requests.post(
        f"{center}/sim/faults", json={"infno": "2207", "mode": "drop", "seconds": 2}, timeout=5
    )
    assert send(app, "4005", body)[0] == "3003"
    rows = [r for r in parts(app).ledger.rows(body["order_no"]) if r.infno == "2207"]
    assert [r.outcome for r in rows] == ["UNKNOWN"]
    drawn = requests.get(f"{center}/sim/persons/{psn_no}", timeout=5).json()
    assert drawn["balc_fen"] == before["balc_fen"] - pre[2]["split"]["acct_pay"]
    queried = send(app, "4007", {"order_no": body["order_no"]})
    assert queried[0] == "0000" and queried[2]["status"] == "PRESETTLED"
    infnos = [(r.infno, r.outcome) for r in parts(app).ledger.rows(body["order_no"])]
    assert infnos[-2:] == [("2207", "REVERSED"), ("2601", "OK")]
    after = requests.get(f"{center}/sim/persons/{psn_no}", timeout=5).json()
    assert after["balc_fen"] == before["balc_fen"]
    assert year_usage(after) == year_usage(before) == {"dedc_fen": 0, "hifp_fen": 0}
    settled = send(app, "4005", body)
    assert settled[0] == "0000" and settled[2]["status"] == "SETTLED"
    assert settled[2]["split"] == pre[2]["split"]
    standing = requests.get(f"{center}/sim/settlements?psn_no={psn_no}", timeout=5).json()
    assert [s["state"] for s in standing["settlements"]].count("SETTLED") == 1


def test_4007_stays_unknown_while_the_center_cannot_be_reached(
    settings: Settings, his: FakeHis, center: str
) -> None:
    app = create_app(dataclasses.replace(settings, center_read_timeout=1.0))
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    requests.post(
        f"{center}/sim/faults", json={"infno": "2207", "mode": "drop", "seconds": 2}, timeout=5
    )
    assert send(app, "4005", body)[0] == "3003"
    national = parts(app).center.national
    national.settings = dataclasses.replace(
        national.settings, center_url=center_url(f"http://127.0.0.1:{free_port()}")
    )
    assert send(app, "4007", {"order_no": body["order_no"]})[2]["status"] == "UNKNOWN"
    assert send(app, "4005", body)[0] == "3003"  # never settled twice blindly


def test_center_down_at_start_is_signed_in_on_first_use(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    app = create_app(
        dataclasses.replace(settings, center_url=center_url(f"http://127.0.0.1:{port}"))
    )
    assert send(app, "4003", {"id_card_no": ZHANG_WEI_ID, "name": "张伟"})[0] == "3002"
    center_dir = tmp_path / "late"
    center_dir.mkdir()
    with serving(center_app(center_dir), port):
        assert send(app, "4003", {"id_card_no": ZHANG_WEI_ID, "name": "张伟"})[0] == "0000"
    assert parts(app).signins.current() is not None


def test_settle_slower_than_the_order_lock_answers_settled_and_a_retry_meanwhile_gets_2014(
    settings: Settings, his: FakeHis, center: str
) -> None:
    app = create_app(dataclasses.replace(settings, order_lock_seconds=0.2))
    body = reg_body(his)
    pre = send(app, "4004", body)
    assert pre[0] == "0000"
    slow_center(center, "2207", 3)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(send, app, "4005", body)
        wait_for_2207_sent(app, body["order_no"])
        time.sleep(0.5)  # the lock's timeout has passed twice over: it is renewed
        retry = send(app, "4005", body)
        settled = first.result(timeout=15)
    assert retry[0] == "2014", retry
    assert settled[0] == "0000" and settled[2]["status"] == "SETTLED", settled
    rows = [(r.infno, r.outcome) for r in parts(app).ledger.rows(body["order_no"])]
    assert [row for row in rows if row[0] in ("2207", "2601")] == [("2207", "OK")]
    psn_no = pre[2]["psn_no"]
    listed = requests.get(f"{center}/sim/settlements?psn_no={psn_no}", timeout=5).json()
    assert [s["state"] for s in listed["settlements"]] == ["SETTLED"]


def test_order_lock_lost_during_2207_still_answers_the_settlement(
    app: Flask, his: FakeHis, center: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    slow_center(center, "2207", 1)
    logs = caplog.at_level(logging.WARNING, "insurance_frontend.locks")
    with logs, ThreadPoolExecutor(1) as pool:
        first = pool.submit(send, app, "4005", body)
        wait_for_2207_sent(app, body["order_no"])
        parts(app).redis.delete(f"insfe:order:{body['order_no']}")  # e.g. Redis restarted
        settled = first.result(timeout=15)
    # booked at the center and here: a 9999 now would make the cloud refund a settled order
    assert settled[0] == "0000" and settled[2]["status"] == "SETTLED", settled
    assert send(app, "4007", {"order_no": body["order_no"]})[2]["status"] == "SETTLED"
    assert "not released cleanly" in caplog.text


def test_order_lock_taken_over_before_2207_refuses_with_2014_and_sends_no_2207(
    app: Flask, his: FakeHis, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    settlement, redis = parts(app).settlement, parts(app).redis
    key, real_fees = f"insfe:order:{body['order_no']}", settlement.hip.registration

    def fees_while_the_lock_is_lost(order_no: str, trace_id: str) -> dict[str, Any]:
        redis.set(key, "another worker")  # the lock lapsed and another worker took it
        return real_fees(order_no, trace_id)

    monkeypatch.setattr(settlement.hip, "registration", fees_while_the_lock_is_lost)
    code, msg, _ = send(app, "4005", body)
    assert code == "2014" and "4007" in msg
    assert not [r for r in parts(app).ledger.rows(body["order_no"]) if r.infno == "2207"]
    assert redis.get(key) == b"another worker"  # the other worker's lock is left alone
    assert send(app, "4007", {"order_no": body["order_no"]})[2]["status"] == "PRESETTLED"


def test_forged_bodies_are_refused_with_1009_before_anything_is_sent(
    app: Flask, his: FakeHis
) -> None:
    body = reg_body(his)
    for forged in (
        {**body, "medfee_sumamt": 1},  # an amount from the Internet zone
        {**body, "kind": "FREE"},
        {**body, "acct_used": "yes"},
        {k: v for k, v in body.items() if k != "lock_id"},
    ):
        code, msg, _ = send(app, "4004", forged)
        assert code == "1009" and msg
    assert send(app, "4003", {"id_card_no": 110105198001010016, "name": "张伟"})[0] == "1009"
    assert send(app, "4008", {"date": "2026-02-30"})[0] == "1009"
    assert parts(app).ledger.rows(body["order_no"]) == []


def test_settle_is_sent_for_the_certificate_the_visit_was_registered_with(
    app: Flask, his: FakeHis, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"

    def patient_gone(incoming: Any) -> dict[str, Any]:
        raise AssertionError("settle asked the HIS for the patient again")

    monkeypatch.setattr(his, "patient", patient_gone)
    assert send(app, "4005", body)[0] == "0000"
    (settle_row,) = [r for r in parts(app).ledger.rows(body["order_no"]) if r.infno == "2207"]
    assert settle_row.request is not None
    assert settle_row.request["input"]["data"]["mdtrt_cert_no"] == ZHANG_WEI_ID
