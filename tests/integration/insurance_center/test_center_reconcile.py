"""The center simulator's 3201 / 3202 reconciliation, its pool ratio by hospital level, the
extra persons file, and fault injection by count."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from simulators.insurance_center import Settings, create_app
from simulators.insurance_center import store as center_store
from tests.integration.insurance_center.test_center_call_service import (
    CODE,
    TOKEN,
    call,
    settle_zhang_wei,
    sign_in,
)


def make_client(tmp_path: Path, level: str = "3") -> FlaskClient:
    settings = Settings(
        paas_id="paas-1",
        paas_token=TOKEN,
        fixmedins_code=CODE,
        database_url=f"sqlite:///{tmp_path / 'center.db'}",
        hospital_level=level,
    )
    return create_app(settings).test_client()


@pytest.fixture()
def client(tmp_path: Path) -> FlaskClient:
    return make_client(tmp_path)


def totals(day: str, count: int, medfee: str, fund: str, acct: str) -> dict[str, Any]:
    return {
        "data": {
            "insutype": "310",
            "clr_type": "11",
            "setl_optins": "110105",
            "stmt_begndate": day,
            "stmt_enddate": day,
            "medfee_sumamt": medfee,
            "fund_pay_sumamt": fund,
            "acct_pay": acct,
            "fixmedins_setl_cnt": str(count),
        }
    }


def test_3201_balances_equal_totals_and_names_what_differs(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    setl = settle_zhang_wei(client, sign_no, acct_used=True)
    day = time.strftime("%Y-%m-%d")
    node = totals(day, 1, setl["medfee_sumamt"], setl["fund_pay_sumamt"], setl["acct_pay"])
    same = call(client, "3201", node, sign_no)["output"]["stmtinfo"]
    assert same["stmt_rslt"] == "0" and same["fixmedins_setl_cnt"] == "1"
    off = call(client, "3201", totals(day, 1, "170.00", "91.00", "0.00"), sign_no)
    info = off["output"]["stmtinfo"]
    assert info["stmt_rslt"] == "1" and info["stmt_rslt_dscr"] == "differs: acct_pay"
    assert info["acct_pay"] == "59.00"
    resident = call(client, "3201", {"data": {**node["data"], "insutype": "390"}}, sign_no)
    assert resident["output"]["stmtinfo"]["stmt_rslt"] == "1"  # 310 settlements only
    bad = call(client, "3201", totals("2026-13-01", 0, "0", "0", "0"), sign_no)
    assert bad["infcode"] == -1 and "stmt_begndate" in bad["err_msg"]


def test_3202_marks_each_row_and_lists_the_center_only_settlements(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    kept = settle_zhang_wei(client, sign_no, acct_used=False)
    only_center = settle_zhang_wei(client, sign_no, acct_used=False)
    day = time.strftime("%Y-%m-%d")
    rows = [
        {
            "setl_id": kept["setl_id"],
            "msgid": kept["medins_setl_id"],
            "psn_no": kept["psn_no"],
            "mdtrt_id": kept["mdtrt_id"],
            "medfee_sumamt": "170.00",
            "fund_pay_sumamt": "91.00",
            "acct_pay": "0.00",
            "cash_payamt": "79.00",
        },
        {
            "setl_id": "NOPE",
            "medfee_sumamt": "1.00",
            "fund_pay_sumamt": "0.00",
            "cash_payamt": "1.00",
        },
    ]
    data = {
        "setl_optins": "110105",
        "stmt_begndate": day,
        "stmt_enddate": day,
        "medfee_sumamt": "171.00",
        "fund_pay_sumamt": "91.00",
        "cash_payamt": "80.00",
        "fixmedins_setl_cnt": "2",
        "detail": rows,
    }
    answer = call(client, "3202", {"data": data}, sign_no)
    assert answer["infcode"] == 0, answer
    marks = {(r["setl_id"], r["stmt_rslt"], r["memo"]) for r in answer["output"]["rows"]}
    assert marks == {
        (kept["setl_id"], "0", ""),
        ("NOPE", "1", "no such settlement at the center"),
        (only_center["setl_id"], "1", "settled at the center only"),
    }
    wrong = call(client, "3202", {"data": {**data, "cash_payamt": "79.00"}}, sign_no)
    assert wrong["infcode"] == -1 and "cash_payamt" in wrong["err_msg"]


def test_a_level_one_hospital_gets_the_higher_pool_ratio(tmp_path: Path) -> None:
    client = make_client(tmp_path, level="1")
    setl = settle_zhang_wei(client, sign_in(client), acct_used=False)
    # in scope 140.00, deductible 10.00, 90 % of 130.00 at level 1
    assert (setl["hifp_pay"], setl["psn_cash_pay"]) == ("117.00", "53.00")


def test_a_level_the_policy_lacks_stops_the_simulator_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="level 9"):
        make_client(tmp_path, level="9")


def test_persons_extra_file_adds_insured_persons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = tmp_path / "persons_extra.json"
    person = {
        "psn_no": "44000019900101001X00",
        "psn_name": "赵六",
        "certno": "440101199001010011",
        "psn_cert_type": "01",
        "gend": "1",
        "brdy": "1990-01-01",
        "naty": "01",
        "insutype": "310",
        "psn_type": "1101",
        "insuplc_admdvs": "440101",
        "emp_name": "",
        "has_account": True,
        "balc": "12.34",
    }
    extra.write_text(json.dumps([person], ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(center_store, "PERSONS_EXTRA_FILE", extra)
    client = make_client(tmp_path)
    sign_no = sign_in(client)
    found = call(client, "1101", {"data": {"mdtrt_cert_no": person["certno"]}}, sign_no)
    assert found["output"]["insuinfo"][0]["balc"] == "12.34"
    assert client.get(f"/sim/persons/{person['psn_no']}").get_json()["balc_fen"] == 1234


def test_error_fault_refuses_the_chosen_infno_count_times(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    spec = {"infno": "1101", "mode": "error", "count": 2}
    assert client.post("/sim/faults", json=spec).status_code == 201
    assert client.post("/sim/faults", json={"infno": "1101", "mode": "boom"}).status_code == 400
    node = {"data": {"mdtrt_cert_no": "110105198001010016"}}
    answers = [call(client, "1101", node, sign_no)["infcode"] for _ in range(3)]
    assert answers == [-1, -1, 0]
    assert client.get("/sim/faults").get_json() == {"faults": []}


def test_delay_fault_answers_late_but_answers(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    client.post("/sim/faults", json={"infno": "1101", "mode": "delay", "seconds": 0.3})
    started = time.monotonic()
    answer = call(client, "1101", {"data": {"mdtrt_cert_no": "110105198001010016"}}, sign_no)
    assert answer["infcode"] == 0 and time.monotonic() - started >= 0.3
