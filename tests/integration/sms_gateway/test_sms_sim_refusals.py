"""SendSms attacked: forged, replayed, stale, out of range and malformed requests are each
refused with the vendor's code, and nothing is sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from simulators.sms.signing import signed_request, utc_timestamp
from tests.integration.sms_gateway.conftest import (
    ACCESS_KEY_ID,
    PHONE,
    SECRET,
    business,
    listed,
    send,
)


def _platform_refusal(answer: object, status: int, code: str) -> None:
    body = answer.get_json()  # type: ignore[attr-defined]
    assert answer.status_code == status, body  # type: ignore[attr-defined]
    assert body["Code"] == code and body["Message"] and body["RequestId"]
    assert body["HostId"] == "dysmsapi.aliyuncs.com"


def _business_refusal(answer: object, code: str) -> None:
    body = answer.get_json()  # type: ignore[attr-defined]
    assert answer.status_code == 200, body  # type: ignore[attr-defined]
    assert body["Code"] == code and body["Message"] and "BizId" not in body


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_signed_send_is_answered_ok_and_listed_with_its_code(
    client: FlaskClient, method: str
) -> None:
    answer = send(client, method)
    body = answer.get_json()
    assert answer.status_code == 200
    assert body["Code"] == "OK" and body["Message"] == "OK" and body["BizId"].endswith("^0")
    [message] = listed(client)
    assert message["phone"] == PHONE and message["template_code"] == "SMS_000000001"
    assert message["params"] == {"code": "123456"} and message["sent_at"].endswith("+08:00")


def test_a_forged_signature_is_refused_with_signature_does_not_match(client: FlaskClient) -> None:
    params = signed_request("POST", business(), ACCESS_KEY_ID, SECRET)
    params["Signature"] = "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    _platform_refusal(client.post("/", data=params), 400, "SignatureDoesNotMatch")
    assert listed(client) == []


def test_a_request_signed_with_another_secret_is_refused(client: FlaskClient) -> None:
    _platform_refusal(send(client, secret="guessed-secret"), 400, "SignatureDoesNotMatch")
    assert listed(client) == []


def test_a_phone_number_changed_after_signing_is_refused(client: FlaskClient) -> None:
    params = signed_request("POST", business(), ACCESS_KEY_ID, SECRET)
    params["PhoneNumbers"] = "13900000009"
    _platform_refusal(client.post("/", data=params), 400, "SignatureDoesNotMatch")
    assert listed(client, "13900000009") == []


def test_a_get_signature_replayed_as_a_post_is_refused(client: FlaskClient) -> None:
    params = signed_request("GET", business(), ACCESS_KEY_ID, SECRET)
    _platform_refusal(client.post("/", data=params), 400, "SignatureDoesNotMatch")


def test_an_unknown_access_key_is_refused_with_not_found(client: FlaskClient) -> None:
    answer = send(client, key_id="LTAI0SOMEONE0ELSE")
    _platform_refusal(answer, 404, "InvalidAccessKeyId.NotFound")
    assert listed(client) == []


def test_a_replayed_nonce_is_refused_and_texts_once(client: FlaskClient) -> None:
    params = signed_request("POST", business(), ACCESS_KEY_ID, SECRET)
    assert client.post("/", data=params).get_json()["Code"] == "OK"
    _platform_refusal(client.post("/", data=params), 400, "SignatureNonceUsed")
    assert len(listed(client)) == 1


@pytest.mark.parametrize("minutes", [-16, 16])
def test_a_timestamp_more_than_15_minutes_off_is_refused_as_expired(
    client: FlaskClient, minutes: int
) -> None:
    stamp = utc_timestamp(datetime.now(UTC) + timedelta(minutes=minutes))
    params = signed_request("POST", business(), ACCESS_KEY_ID, SECRET, timestamp=stamp)
    _platform_refusal(client.post("/", data=params), 400, "InvalidTimeStamp.Expired")
    assert listed(client) == []


@pytest.mark.parametrize(
    "stamp", ["2026-12-04 01:00:00", "1733274000", "2026-12-04T01:00:00+08:00"]
)
def test_a_timestamp_not_in_the_vendors_format_is_refused(client: FlaskClient, stamp: str) -> None:
    params = signed_request("POST", business(), ACCESS_KEY_ID, SECRET, timestamp=stamp)
    _platform_refusal(client.post("/", data=params), 400, "InvalidTimeStamp.Format")


def test_a_timestamp_14_minutes_old_still_passes(client: FlaskClient) -> None:
    stamp = utc_timestamp(datetime.now(UTC) - timedelta(minutes=14))
    params = signed_request("POST", business(), ACCESS_KEY_ID, SECRET, timestamp=stamp)
    assert client.post("/", data=params).get_json()["Code"] == "OK"


@pytest.mark.parametrize(
    "phones",
    ["1380000000", "138000000012", "23800000001", "12800000001", "abc", "", "13800000001,12"],
)
def test_a_phone_that_is_no_mainland_mobile_number_is_refused(
    client: FlaskClient, phones: str
) -> None:
    answer = send(client, PhoneNumbers=phones)
    if phones == "":
        _platform_refusal(answer, 400, "MissingPhoneNumbers")
    else:
        _business_refusal(answer, "isv.MOBILE_NUMBER_ILLEGAL")
    assert listed(client) == []


def test_several_phones_with_the_vendors_prefixes_each_get_one_message(
    client: FlaskClient,
) -> None:
    answer = send(client, PhoneNumbers="+8613800000001,008613900000002,13800000001")
    assert answer.get_json()["Code"] == "OK"
    assert len(listed(client)) == 1 and len(listed(client, "13900000002")) == 1


def test_an_unknown_template_or_sign_name_is_refused(client: FlaskClient) -> None:
    _business_refusal(send(client, TemplateCode="SMS_999999999"), "isv.SMS_TEMPLATE_ILLEGAL")
    _business_refusal(send(client, SignName="别家医院"), "isv.SMS_SIGNATURE_ILLEGAL")
    assert listed(client) == []


@pytest.mark.parametrize("param", ["{code:123456}", '["123456"]', '{"code": 123456}', "null"])
def test_template_param_that_is_no_json_object_of_strings_is_refused(
    client: FlaskClient, param: str
) -> None:
    _business_refusal(send(client, TemplateParam=param), "isv.INVALID_JSON_PARAM")
    assert listed(client) == []


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"Action": "SendBatchSms"}, 404, "InvalidAction.NotFound"),
        ({"Version": "2016-09-27"}, 400, "InvalidVersion"),
        ({"SignatureMethod": "HMAC-SHA256"}, 400, "IncompleteSignature"),
        ({"SignName": ""}, 400, "MissingSignName"),
    ],
)
def test_a_request_outside_the_protocol_is_refused(
    client: FlaskClient, change: dict[str, str], status: int, code: str
) -> None:
    params = {**business(), **change}
    signed = signed_request("POST", params, ACCESS_KEY_ID, SECRET)
    signed.update(change)  # SignatureMethod etc. are common parameters: set them after
    _platform_refusal(client.post("/", data=signed), status, code)


def test_a_second_code_within_a_minute_is_refused_by_flow_control(client: FlaskClient) -> None:
    assert send(client).get_json()["Code"] == "OK"
    answer = send(client, TemplateParam='{"code":"654321"}')
    _business_refusal(answer, "isv.BUSINESS_LIMIT_CONTROL")
    assert "分钟级" in answer.get_json()["Message"]
    assert [m["params"]["code"] for m in listed(client)] == ["123456"]
    # another phone and another template are counted apart
    assert send(client, PhoneNumbers="13900000002").get_json()["Code"] == "OK"
    assert send(client, TemplateCode="SMS_000000002").get_json()["Code"] == "OK"


@pytest.mark.parametrize(
    ("limits", "label"), [({"per_hour": 2}, "小时级"), ({"per_day": 2}, "天级")]
)
def test_the_hourly_and_daily_limits_hold(
    make_client: Callable[..., FlaskClient], limits: dict[str, int], label: str
) -> None:
    client = make_client(per_minute=10, **limits)
    assert [send(client).get_json()["Code"] for _ in range(2)] == ["OK", "OK"]
    answer = send(client)
    _business_refusal(answer, "isv.BUSINESS_LIMIT_CONTROL")
    assert label in answer.get_json()["Message"] and len(listed(client)) == 2


def test_a_request_for_several_phones_is_all_or_nothing(client: FlaskClient) -> None:
    assert send(client).get_json()["Code"] == "OK"
    answer = send(client, PhoneNumbers="13900000002,13800000001")
    _business_refusal(answer, "isv.BUSINESS_LIMIT_CONTROL")
    assert listed(client, "13900000002") == []


def test_messages_are_listed_newest_last(make_client: Callable[..., FlaskClient]) -> None:
    client = make_client(per_minute=5)
    for code in ("111111", "222222", "333333"):
        assert send(client, TemplateParam=f'{{"code":"{code}"}}').get_json()["Code"] == "OK"
        time.sleep(0.01)
    assert [m["params"]["code"] for m in listed(client)] == ["111111", "222222", "333333"]
