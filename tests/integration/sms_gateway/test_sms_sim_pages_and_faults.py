"""What a person and a test see of the simulator: the page of texts sent, the admin
listing, and the injected faults."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient

from tests.integration.sms_gateway.conftest import PHONE, listed, send


def test_the_page_shows_the_texts_newest_first_in_chinese(client: FlaskClient) -> None:
    send(client, TemplateParam='{"code":"111111"}')
    send(client, PhoneNumbers="13900000002", TemplateParam='{"code":"222222"}')
    for path in ("/", "/messages"):
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and 'lang="zh-CN"' in html and "viewport" in html
        assert "【示范市第一人民医院】您的验证码为222222" in html
        assert html.index("222222") < html.index("111111")


def test_the_page_filters_by_phone_and_ignores_a_malformed_filter(client: FlaskClient) -> None:
    send(client, TemplateParam='{"code":"111111"}')
    send(client, PhoneNumbers="13900000002", TemplateParam='{"code":"222222"}')
    mine = client.get("/?phone=13900000002").get_data(as_text=True)
    assert "222222" in mine and "111111" not in mine
    hostile = client.get("/messages?phone=<script>alert(1)</script>")
    assert hostile.status_code == 200 and "<script>alert" not in hostile.get_data(as_text=True)


def test_the_admin_listing_refuses_a_malformed_phone_with_a_code(client: FlaskClient) -> None:
    answer = client.get("/admin/messages?phone=138' OR 1=1")
    assert answer.status_code == 400
    assert answer.get_json()["result_code"] and "手机号" in answer.get_json()["result_msg"]


def test_the_admin_listing_can_be_cleared_and_the_flow_control_with_it(
    client: FlaskClient,
) -> None:
    assert send(client).get_json()["Code"] == "OK"
    assert client.delete("/admin/messages").status_code == 204
    assert listed(client) == []
    assert send(client).get_json()["Code"] == "OK"


def test_an_unknown_path_answers_in_the_vendors_shape_not_a_stack_trace(
    client: FlaskClient,
) -> None:
    answer = client.post("/v1/sms/send", data={"x": "1"})
    assert answer.status_code in (404, 405) and answer.get_json()["Code"]


def test_an_error_fault_answers_500_and_sends_nothing(client: FlaskClient) -> None:
    assert client.post("/sim/faults", json={"mode": "error"}).status_code == 201
    answer = send(client)
    assert answer.status_code == 500 and answer.get_json()["Code"] == "InternalError"
    assert listed(client) == []
    assert send(client).get_json()["Code"] == "OK"  # one fault, one call


def test_a_drop_fault_sends_and_then_answers_late(client: FlaskClient) -> None:
    client.post("/sim/faults", json={"mode": "drop", "seconds": 0.4})
    started = time.monotonic()
    assert send(client).get_json()["Code"] == "OK"
    assert time.monotonic() - started >= 0.4 and len(listed(client)) == 1


def test_a_delay_fault_answers_late_and_the_faults_can_be_listed_and_cleared(
    client: FlaskClient,
) -> None:
    client.post("/sim/faults", json={"mode": "delay", "seconds": 0.3, "count": 2})
    started = time.monotonic()
    assert send(client, PhoneNumbers=PHONE).get_json()["Code"] == "OK"
    assert time.monotonic() - started >= 0.3
    assert [f["remaining"] for f in client.get("/sim/faults").get_json()["faults"]] == [1]
    assert client.delete("/sim/faults").status_code == 204
    assert client.get("/sim/faults").get_json()["faults"] == []


@pytest.mark.parametrize(
    "fault", [{"mode": "explode"}, {"mode": "delay", "seconds": 1000}, {"mode": "drop", "count": 0}]
)
def test_a_malformed_fault_is_refused(client: FlaskClient, fault: dict[str, object]) -> None:
    assert client.post("/sim/faults", json=fault).status_code == 400
