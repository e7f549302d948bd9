"""A patient's poll of an order (GET /api/v1/orders/<no>, one statement): the order as
stored with its whole history, oldest first; another user's order or an unknown number is
2008 (404) either way, and nothing is told about who owns it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.unit.cloud_service.fakes import sign_in

ZHANG_WEI = {"id_card_no": "110105198001010016", "name": "张伟"}
REGISTRATION = {"mrn": "M0001", "schedule_id": "S1", "pay_mode": "INSURANCE", "channel": "WECHAT"}


def _registered(client: FlaskClient) -> str:
    assert client.post("/api/v1/patients", json=ZHANG_WEI).status_code == 200
    created = client.post("/api/v1/registrations", json=REGISTRATION)
    assert created.status_code == 200, created.get_json()
    return str(created.get_json()["order_no"])


def test_a_poll_answers_the_order_with_its_history_oldest_first(client: FlaskClient) -> None:
    order_no = _registered(client)
    assert client.post(f"/api/v1/orders/{order_no}/pay").status_code == 200
    polled = client.get(f"/api/v1/orders/{order_no}").get_json()
    assert polled["state"] == "AWAITING_PAYMENT" and polled["cash_fen"] == 100
    assert polled["total_fen"] == 1100 and polled["split"]["hifp_pay"] == 700
    assert [(e["from_state"], e["to_state"]) for e in polled["history"]] == [
        ("", "CREATED"),
        ("CREATED", "PRESETTLED"),
        ("PRESETTLED", "AWAITING_PAYMENT"),
    ]
    assert all(e["at"].endswith("+08:00") for e in polled["history"])


def test_another_users_order_and_an_unknown_one_are_both_2008(
    app: Flask, client: FlaskClient
) -> None:
    order_no = _registered(client)
    other = app.test_client()
    other.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {sign_in(other, '13800000002')}"
    for path in (f"/api/v1/orders/{order_no}", "/api/v1/orders/R-NONE"):
        refused = other.get(path)
        assert refused.status_code == 404 and refused.get_json()["result_code"] == "2008"
    unsigned = app.test_client().get(f"/api/v1/orders/{order_no}")
    assert unsigned.status_code == 401
