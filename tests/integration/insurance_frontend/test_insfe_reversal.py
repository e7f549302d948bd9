"""4006 settle reversal: 2208 for a known settlement, 2601 for a lost 2207 reply, then 2205 and
2202; idempotent on order_no. And replies that do not add up are refused and reversed."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import requests
from flask import Flask

from envelope import clock
from insurance_frontend import Settings, create_app
from tests.integration.insurance_frontend.insfe_calls import parts, reg_body, send
from tests.integration.insurance_frontend.insfe_neighbours import FakeHis


def person_at(center: str, psn_no: str) -> tuple[int, dict[str, int]]:
    """(balance fen, this year's deductible and pool use) of a person at the center."""
    person = requests.get(f"{center}/sim/persons/{psn_no}", timeout=5).json()
    zero = {"dedc_fen": 0, "hifp_fen": 0}
    return person["balc_fen"], dict(person["years"].get(str(clock.today().year), zero))


def settled(app: Flask, his: FakeHis) -> dict[str, Any]:
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    code, msg, answer = send(app, "4005", body)
    assert code == "0000", msg
    return {**body, **answer}


def test_lost_2207_is_reversed_by_2601_restoring_balance_and_year_totals_exactly(
    settings: Settings, his: FakeHis, center: str
) -> None:
    app = create_app(dataclasses.replace(settings, center_read_timeout=1.0))
    first = settled(app, his)  # this year's totals are not zero before the lost settle
    before = person_at(center, first["psn_no"])
    assert before[1]["dedc_fen"] == 1000 and before[1]["hifp_fen"] > 0
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    requests.post(
        f"{center}/sim/faults", json={"infno": "2207", "mode": "drop", "seconds": 2}, timeout=5
    )
    assert send(app, "4005", body)[0] == "3003"
    assert person_at(center, first["psn_no"]) != before  # the center did settle it
    code, msg, reversed_ = send(app, "4006", {"order_no": body["order_no"], "reason": "lost"})
    assert code == "0000", msg
    assert reversed_["status"] == "REVERSED" and reversed_["reason"] == "lost"
    assert person_at(center, first["psn_no"]) == before
    steps = [(r.infno, r.outcome) for r in parts(app).ledger.rows(body["order_no"])]
    assert steps[-4:] == [("2207", "REVERSED"), ("2601", "OK"), ("2205", "OK"), ("2202", "OK")]
    assert send(app, "4006", {"order_no": body["order_no"], "reason": "again"})[2] == reversed_
    assert send(app, "4007", {"order_no": body["order_no"]})[2]["status"] == "REVERSED"


def test_settled_order_is_reversed_by_2208_once_and_answers_the_same_twice(
    app: Flask, his: FakeHis, center: str
) -> None:
    before_any = settled(app, his)
    before = person_at(center, before_any["psn_no"])
    order = settled(app, his)
    code, msg, first = send(app, "4006", {"order_no": order["order_no"], "reason": "refund"})
    assert code == "0000", msg
    assert (first["status"], first["setl_id"]) == ("REVERSED", order["setl_id"])
    assert first["reversed_split"] == order["split"]
    assert person_at(center, order["psn_no"]) == before
    second = send(app, "4006", {"order_no": order["order_no"], "reason": "refund"})
    assert second[0] == "0000" and second[2] == first
    infnos = [r.infno for r in parts(app).ledger.rows(order["order_no"])]
    assert infnos.count("2208") == 1 and infnos[-3:] == ["2208", "2205", "2202"]
    at_center = requests.get(
        f"{center}/sim/settlements?setl_id={order['setl_id']}", timeout=5
    ).json()
    assert at_center["settlements"][0]["state"] == "REVERSED"
    again = {k: order[k] for k in ("order_no", "mrn", "kind", "lock_id", "acct_used")}
    assert send(app, "4005", again)[0] == "2014"


def test_reversal_of_an_unknown_order_is_2008(app: Flask) -> None:
    assert send(app, "4006", {"order_no": "R-none", "reason": "x"})[0] == "2008"


def test_sign_in_and_sign_out_by_envelope_are_refused_with_1007(app: Flask) -> None:
    assert send(app, "4001", {"operator": "staff-1"})[0] == "1007"
    assert send(app, "4002", {"sign_no": "whatever"})[0] == "1007"


def test_settle_reply_that_does_not_add_up_is_refused_reversed_and_never_booked(
    app: Flask, his: FakeHis, center: str
) -> None:
    national = parts(app).center.national
    real_http = national.http

    def tampering_http(data: bytes) -> tuple[int, bytes]:
        status, content = real_http(data)
        if json.loads(data)["infno"] == "2207":
            reply = json.loads(content)
            reply["output"]["setlinfo"]["psn_cash_pay"] = "0.01"  # no longer adds up
            content = json.dumps(reply).encode()
        return status, content

    body = reg_body(his)
    pre = send(app, "4004", body)
    before = person_at(center, pre[2]["psn_no"])
    national.http = tampering_http  # type: ignore[method-assign]
    code, msg, _ = send(app, "4005", body)
    assert code == "2015" and "2601" in msg
    order = send(app, "4007", {"order_no": body["order_no"]})[2]
    assert order["status"] == "PRESETTLED" and order["setl_id"] == ""
    assert person_at(center, pre[2]["psn_no"]) == before
    rows = [(r.infno, r.outcome) for r in parts(app).ledger.rows(body["order_no"])]
    assert rows[-2:] == [("2207", "REVERSED"), ("2601", "OK")]
