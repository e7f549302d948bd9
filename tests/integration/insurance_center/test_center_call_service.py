"""The insurance center simulator through its Flask test client: transport headers, the
insurance path 9001 -> 1101 -> 2201 -> 2204 -> 2206 -> 2207, reversals."""

from __future__ import annotations

import hashlib
import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from simulators.insurance_center import CALL_SERVICE_PATH, Settings, create_app

CODE = "H11010500001"
TOKEN = "center-test-token"
ZHANG_WEI = "110105198001010016"
WANG_QIANG = "440304197503200035"
_seq = itertools.count(1)


@pytest.fixture()
def client(tmp_path: Path) -> FlaskClient:
    settings = Settings(
        paas_id="paas-1",
        paas_token=TOKEN,
        fixmedins_code=CODE,
        database_url=f"sqlite:///{tmp_path / 'center.db'}",
    )
    return create_app(settings).test_client()


def tif_headers(token: str = TOKEN, paasid: str = "paas-1", skew: int = 0) -> dict[str, str]:
    stamp = str(int(time.time()) + skew)
    nonce = f"nonce{next(_seq):08d}{time.time_ns()}"
    signature = hashlib.sha256(f"{stamp}{token}{nonce}{stamp}".encode()).hexdigest()
    return {
        "x-tif-paasid": paasid,
        "x-tif-timestamp": stamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": signature,
    }


def message(
    infno: str, node: dict[str, Any], sign_no: str = "", msgid: str | None = None
) -> dict[str, Any]:
    msgid = msgid or f"{CODE}{time.strftime('%Y%m%d%H%M%S')}{next(_seq) % 10000:04d}"
    return {
        "infno": infno,
        "msgid": msgid,
        "mdtrtarea_admvs": "110105",
        "insuplc_admdvs": "110105",
        "recer_sys_code": "FSI_LOCAL",
        "dev_no": "",
        "dev_safe_info": "",
        "cainfo": "",
        "signtype": "",
        "infver": "V1.0",
        "opter_type": "1",
        "opter": "t1",
        "opter_name": "tester",
        "inf_time": time.strftime("%Y-%m-%d %H:%M:%S"),
        "fixmedins_code": CODE,
        "fixmedins_name": "test hospital",
        "sign_no": sign_no,
        "input": node,
    }


def call(
    client: FlaskClient, infno: str, node: dict[str, Any], sign_no: str = "", **kwargs: Any
) -> dict[str, Any]:
    response = client.post(
        CALL_SERVICE_PATH, json=message(infno, node, sign_no, **kwargs), headers=tif_headers()
    )
    return dict(response.get_json())


def sign_in(client: FlaskClient) -> str:
    answer = call(client, "9001", {"signIn": {"opter_no": "t1", "mac": "", "ip": ""}})
    assert answer["infcode"] == 0, answer
    return str(answer["output"]["signinoutb"]["sign_no"])


def settle_zhang_wei(client: FlaskClient, sign_no: str, acct_used: bool) -> dict[str, Any]:
    person = call(
        client,
        "1101",
        {
            "data": {
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": ZHANG_WEI,
                "psn_cert_type": "01",
                "certno": ZHANG_WEI,
            }
        },
        sign_no,
    )
    psn_no = person["output"]["baseinfo"]["psn_no"]
    assert person["output"]["insuinfo"][0]["balc"] == "800.00"
    visit = call(
        client, "2201", {"data": {"psn_no": psn_no, "insutype": "310", "ipt_otp_no": "R1"}}, sign_no
    )
    mdtrt_id = visit["output"]["data"]["mdtrt_id"]
    fees = [("S1", "50.00", "01"), ("S2", "100.00", "02"), ("S3", "20.00", "03")]
    upload = call(
        client,
        "2204",
        {
            "feedetail": [
                {
                    "feedetl_sn": sn,
                    "mdtrt_id": mdtrt_id,
                    "psn_no": psn_no,
                    "chrg_bchno": "B1",
                    "med_list_codg": f"X{sn}",
                    "det_item_fee_sumamt": amount,
                    "cnt": 1,
                    "pric": amount,
                    "chrgitm_lv": level,
                }
                for sn, amount, level in fees
            ]
        },
        sign_no,
    )
    assert [r["inscp_scp_amt"] for r in upload["output"]["result"]] == ["50.00", "90.00", "0.00"]
    data = {
        "psn_no": psn_no,
        "mdtrt_id": mdtrt_id,
        "chrg_bchno": "B1",
        "insutype": "310",
        "medfee_sumamt": "170.00",
        "acct_used_flag": "1" if acct_used else "0",
    }
    pre = call(client, "2206", {"data": data}, sign_no)
    assert pre["infcode"] == 0, pre
    settled = call(client, "2207", {"data": data}, sign_no)
    assert settled["infcode"] == 0, settled
    # the same split; ids and the settlement time (a clock second may pass between) aside
    aside = {"setl_id": "", "medins_setl_id": "", "setl_time": ""}
    assert settled["output"]["setlinfo"] | aside == pre["output"]["setlinfo"] | aside
    return {"psn_no": psn_no, "mdtrt_id": mdtrt_id, **settled["output"]["setlinfo"]}


@pytest.mark.parametrize(
    "headers",
    [
        tif_headers(token="wrong-token"),
        tif_headers(paasid="someone-else"),
        tif_headers(skew=-600),
        {},
    ],
)
def test_wrong_transport_headers_are_refused_with_401(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.post(
        CALL_SERVICE_PATH, json=message("9001", {"signIn": {"opter_no": "t"}}), headers=headers
    )
    assert response.status_code == 401
    assert response.get_json()["infcode"] == -1


def test_business_code_without_sign_in_is_refused(client: FlaskClient) -> None:
    answer = call(client, "1101", {"data": {"mdtrt_cert_no": ZHANG_WEI}})
    assert answer["infcode"] == -1 and "sign_no" in answer["err_msg"]


def test_full_path_settles_and_draws_down_the_account(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    setl = settle_zhang_wei(client, sign_no, acct_used=True)
    # A 50.00 + B 90.00 in scope = 140.00; deductible 10.00; pool 70% of 130.00 = 91.00
    assert (setl["medfee_sumamt"], setl["inscp_scp_amt"], setl["act_pay_dedc"]) == (
        "170.00",
        "140.00",
        "10.00",
    )
    assert (setl["hifp_pay"], setl["acct_pay"], setl["psn_cash_pay"]) == ("91.00", "59.00", "20.00")
    assert setl["balc"] == "741.00"
    person = client.get(f"/sim/persons/{setl['psn_no']}").get_json()
    assert person["balc"] == "741.00"
    listed = client.get(f"/sim/settlements?setl_id={setl['setl_id']}").get_json()["settlements"]
    assert listed[0]["state"] == "SETTLED" and listed[0]["split"]["acct_pay"] == 5900


def test_reversal_restores_the_account(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    setl = settle_zhang_wei(client, sign_no, acct_used=True)
    answer = call(
        client,
        "2208",
        {
            "data": {
                "setl_id": setl["setl_id"],
                "psn_no": setl["psn_no"],
                "mdtrt_id": setl["mdtrt_id"],
            }
        },
        sign_no,
    )
    assert answer["infcode"] == 0 and answer["output"]["setlinfo"]["acct_pay"] == "-59.00"
    assert client.get(f"/sim/persons/{setl['psn_no']}").get_json()["balc"] == "800.00"
    again = call(
        client, "2208", {"data": {"setl_id": setl["setl_id"], "psn_no": setl["psn_no"]}}, sign_no
    )
    assert again["infcode"] == -1


def test_reversal_by_message_id_undoes_a_settlement_whose_reply_was_lost(
    client: FlaskClient,
) -> None:
    sign_no = sign_in(client)
    setl = settle_zhang_wei(client, sign_no, acct_used=True)
    answer = call(
        client,
        "2601",
        {"data": {"psn_no": setl["psn_no"], "omsgid": setl["medins_setl_id"], "oinfno": "2207"}},
        sign_no,
    )
    assert answer["infcode"] == 0, answer
    assert client.get(f"/sim/persons/{setl['psn_no']}").get_json()["balc"] == "800.00"
    unknown = call(
        client,
        "2601",
        {
            "data": {
                "psn_no": setl["psn_no"],
                "omsgid": f"{CODE}202601010000009999",
                "oinfno": "2207",
            }
        },
        sign_no,
    )
    assert unknown["infcode"] == 0 and "nothing to reverse" in unknown["warn_msg"]


def test_a_repeated_msgid_gets_the_first_reply(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    msgid = f"{CODE}{time.strftime('%Y%m%d%H%M%S')}9999"
    node = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ZHANG_WEI}}
    first = call(client, "1101", node, sign_no, msgid=msgid)
    second = call(client, "1101", node, sign_no, msgid=msgid)
    assert first == second and first["infcode"] == 0


def test_person_who_is_not_insured_is_refused(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    answer = call(
        client, "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": WANG_QIANG}}, sign_no
    )
    assert answer["infcode"] == -1 and answer["err_msg"]


def test_settle_refuses_a_total_that_differs_from_the_uploaded_fees(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    person = call(client, "1101", {"data": {"mdtrt_cert_no": ZHANG_WEI}}, sign_no)
    psn_no = person["output"]["baseinfo"]["psn_no"]
    visit = call(client, "2201", {"data": {"psn_no": psn_no, "insutype": "310"}}, sign_no)
    mdtrt_id = visit["output"]["data"]["mdtrt_id"]
    call(
        client,
        "2204",
        {
            "feedetail": [
                {
                    "feedetl_sn": "F1",
                    "mdtrt_id": mdtrt_id,
                    "psn_no": psn_no,
                    "chrg_bchno": "B",
                    "det_item_fee_sumamt": "10.00",
                    "chrgitm_lv": "01",
                }
            ]
        },
        sign_no,
    )
    answer = call(
        client,
        "2207",
        {
            "data": {
                "psn_no": psn_no,
                "mdtrt_id": mdtrt_id,
                "chrg_bchno": "B",
                "medfee_sumamt": "12.00",
            }
        },
        sign_no,
    )
    assert answer["infcode"] == -1 and "medfee_sumamt" in answer["err_msg"]


def test_a_replayed_nonce_is_refused_and_the_message_not_processed(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    headers = tif_headers()
    node = {"data": {"mdtrt_cert_no": ZHANG_WEI}}
    first = client.post(CALL_SERVICE_PATH, json=message("1101", node, sign_no), headers=headers)
    assert first.status_code == 200 and first.get_json()["infcode"] == 0
    replayed_msgid = message("2201", {"data": {"psn_no": "P1"}}, sign_no)
    again = client.post(CALL_SERVICE_PATH, json=replayed_msgid, headers=headers)
    assert again.status_code == 401 and "nonce" in again.get_json()["err_msg"]
    # the refused message was not logged: its msgid, sent afresh, is processed
    fresh = client.post(CALL_SERVICE_PATH, json=replayed_msgid, headers=tif_headers())
    assert fresh.status_code == 200 and "nonce" not in fresh.get_json().get("err_msg", "")


def test_an_error_fault_is_used_up_even_when_its_message_is_refused(client: FlaskClient) -> None:
    sign_no = sign_in(client)
    client.post("/sim/faults", json={"infno": "1101", "mode": "error", "count": 1})
    node = {"data": {"mdtrt_cert_no": ZHANG_WEI}}
    assert call(client, "1101", node, sign_no)["err_msg"].startswith("injected fault")
    assert client.get("/sim/faults").get_json() == {"faults": []}
    assert call(client, "1101", node, sign_no)["infcode"] == 0
