"""4008 reconcile totals and 4009 reconcile detail against the center simulator: a clean day
balances; a settlement whose reply was lost shows as settled at the center only."""

from __future__ import annotations

import dataclasses

import requests
from flask import Flask

from envelope import clock
from insurance_frontend import Settings, create_app
from tests.integration.insurance_frontend.insfe_calls import parts, reg_body, send
from tests.integration.insurance_frontend.insfe_neighbours import FakeHis


def settle(app: Flask, his: FakeHis, acct_used: bool = True) -> dict[str, int]:
    body = reg_body(his, acct_used=acct_used)
    assert send(app, "4004", body)[0] == "0000"
    code, msg, answer = send(app, "4005", body)
    assert code == "0000", msg
    return dict(answer["split"])


def test_clean_day_is_balanced_with_our_totals_equal_to_the_center(
    app: Flask, his: FakeHis
) -> None:
    splits = [settle(app, his, True), settle(app, his, False), settle(app, his, True)]
    body = reg_body(his)
    send(app, "4004", body)
    send(app, "4005", body)
    assert send(app, "4006", {"order_no": body["order_no"], "reason": "test"})[0] == "0000"
    code, msg, totals = send(app, "4008", {"date": clock.today().isoformat()})
    assert code == "0000", msg
    assert totals["result"] == "BALANCED" and "differences" not in totals
    expected = {
        "count": 3,
        "medfee_sumamt": sum(s["medfee_sumamt"] for s in splits),
        "fund_pay_sumamt": sum(s["hifp_pay"] for s in splits),
        "acct_pay": sum(s["acct_pay"] for s in splits),
    }
    assert {k: totals["ours"][k] for k in expected} == expected == totals["center"]
    assert totals["ours"]["cash_payamt"] == sum(s["psn_cash_pay"] for s in splits)
    assert [t["insutype"] for t in totals["insutypes"]] == ["310", "390"]
    detail = send(app, "4009", {"date": clock.today().isoformat()})[2]
    assert (detail["result"], detail["count"], detail["items"]) == ("BALANCED", 3, [])


def test_day_with_a_lost_settle_reply_reports_it_until_it_is_reversed(
    settings: Settings, his: FakeHis
) -> None:
    app = create_app(dataclasses.replace(settings, center_read_timeout=1.0))
    split = settle(app, his)
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    center = settings.center_url.split("/fsi/")[0]
    requests.post(
        f"{center}/sim/faults", json={"infno": "2207", "mode": "drop", "seconds": 2}, timeout=5
    )
    assert send(app, "4005", body)[0] == "3003"
    lost = next(r for r in parts(app).ledger.rows(body["order_no"]) if r.infno == "2207")
    today = clock.today().isoformat()
    code, msg, totals = send(app, "4008", {"date": today})
    assert code == "0000", msg
    assert totals["result"] == "UNBALANCED"
    employee = totals["insutypes"][0]
    assert (employee["insutype"], employee["result"]) == ("310", "UNBALANCED")
    assert (employee["ours"]["count"], employee["center"]["count"]) == (1, 2)
    assert employee["center"]["medfee_sumamt"] == 2 * split["medfee_sumamt"]
    [item] = totals["differences"]
    assert (item["classification"], item["msgid"], item["order_no"]) == (
        "CENTER_ONLY",
        lost.msgid,
        body["order_no"],
    )
    assert item["ours"] is None and item["center"]["medfee_sumamt"] == split["medfee_sumamt"]
    assert "reply was lost" in item["memo"]
    assert send(app, "4009", {"date": today})[2]["items"] == [item]
    assert send(app, "4006", {"order_no": body["order_no"], "reason": "orphan"})[0] == "0000"
    assert send(app, "4008", {"date": today})[2]["result"] == "BALANCED"


def test_a_date_that_does_not_exist_is_1009(app: Flask) -> None:
    assert send(app, "4008", {"date": "2026-02-30"})[0] == "1009"
