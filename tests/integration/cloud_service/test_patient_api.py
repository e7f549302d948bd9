"""The patient API through Flask's test client: real ledger, neighbours faked at the edge."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.unit.cloud_service.fakes import ok, sign_in


def test_openapi_document_lists_the_patient_api(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/docs/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/patients", "/api/v1/registrations", "/api/v1/orders/{order_no}/pay"):
        assert path in doc["paths"]


def test_bind_register_and_pay_answer_with_the_order(client: FlaskClient) -> None:
    bound = client.post(
        "/api/v1/patients", json={"id_card_no": "110105198001010016", "name": "张伟"}
    )
    assert bound.status_code == 200 and bound.get_json()["id_card_no"] == "110105********0016"
    order = client.post(
        "/api/v1/registrations",
        json={"mrn": "M0001", "schedule_id": "S1", "pay_mode": "INSURANCE", "channel": "WECHAT"},
    )
    assert order.status_code == 200, order.get_json()
    paying = client.post(f"/api/v1/orders/{order.get_json()['order_no']}/pay").get_json()
    assert paying["state"] == "AWAITING_PAYMENT" and paying["cash_fen"] == 100
    assert paying["cashier_url"].startswith("http://cashier/")
    assert [e["to_state"] for e in paying["history"]][-1] == "AWAITING_PAYMENT"
    assert paying["history"][0]["at"].endswith("+08:00")


def test_a_bad_body_gets_1009_naming_the_field(client: FlaskClient) -> None:
    answer = client.post("/api/v1/registrations", json={"mrn": "M0001", "pay_mode": "CASH"})
    assert answer.status_code == 400
    assert answer.get_json()["result_code"] == "1009"
    assert (
        "schedule_id" in answer.get_json()["result_msg"]
        or "pay_mode" in (answer.get_json()["result_msg"])
    )


def test_a_bad_id_card_number_is_refused_with_2010(client: FlaskClient) -> None:
    answer = client.post(
        "/api/v1/patients", json={"id_card_no": "110105198001010017", "name": "张伟"}
    )
    assert answer.status_code == 409 and answer.get_json()["result_code"] == "2010"


def test_no_token_is_401_with_a_result_code(app: Flask) -> None:
    answer = app.test_client().get("/api/v1/patients")
    assert answer.status_code == 401 and answer.get_json()["result_code"] == "1003"


@pytest.mark.parametrize("authorization", ["", "Bearer forged.token", "Basic x"])
def test_a_missing_or_forged_token_is_told_in_chinese_to_sign_in(
    app: Flask, authorization: str
) -> None:
    answer = app.test_client().get("/api/v1/patients", headers={"Authorization": authorization})
    assert answer.status_code == 401
    assert answer.get_json() == {
        "result_code": "1003",
        "result_msg": "请先登录：登录凭证缺失、无效或已过期",
    }


@pytest.mark.parametrize("authorization", ["", "Bearer wrong-ops-token", "Bearer " + "x" * 200])
def test_a_missing_or_wrong_ops_token_is_told_in_chinese(app: Flask, authorization: str) -> None:
    answer = app.test_client().get(
        "/api/v1/ops/operations", headers={"Authorization": authorization}
    )
    assert answer.status_code == 401
    assert answer.get_json() == {"result_code": "1003", "result_msg": "运维令牌缺失或无效"}


def test_another_users_order_is_not_found(app: Flask, client: FlaskClient) -> None:
    client.post("/api/v1/patients", json={"id_card_no": "110105198001010016", "name": "张伟"})
    order = client.post(
        "/api/v1/registrations",
        json={"mrn": "M0001", "schedule_id": "S1", "pay_mode": "SELF_PAY", "channel": "WECHAT"},
    )
    stranger = app.test_client()
    token = sign_in(stranger, "13900000000")
    answer = stranger.get(
        f"/api/v1/orders/{order.get_json()['order_no']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 404 and answer.get_json()["result_code"] == "2008"


def test_unknown_path_and_not_json_get_a_result_code_not_a_stack_trace(client: FlaskClient) -> None:
    assert client.get("/api/v1/nowhere").get_json()["result_code"] == "1010"
    answer = client.post("/api/v1/patients", data=b"{broken", content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["result_code"] == "1001"


def test_an_impossible_date_is_1009_not_a_500(client: FlaskClient) -> None:
    answer = client.get("/api/v1/registrations", query_string={"end_date": "0000-00-00"})
    assert answer.status_code == 400 and answer.get_json()["result_code"] == "1009"


def test_a_new_record_takes_the_users_verified_phone(app: Flask, client: FlaskClient) -> None:
    hospital = app.extensions["cloud_deps"].hospital
    hospital.then(
        "1001",
        ok(exists=False),
        ok(
            exists=True,
            patient_id="P9",
            mrn="M9",
            patient_type="SELF_PAY",
            insured=False,
            phone="13800000001",
        ),
    )
    created = ok(patient_id="P9", mrn="M9", patient_type="SELF_PAY", insured=False, created=True)
    hospital.then("1002", created)
    answer = client.post(
        "/api/v1/patients", json={"id_card_no": "110105198001010016", "name": "张伟"}
    )
    assert answer.status_code == 200, answer.get_json()
    created = [body for code, body in hospital.calls if code == "1002"]
    assert created and created[0]["phone"] == "13800000001"
