"""Who may act, end to end (DESIGN §11): a stranger who knows 张伟's ID number and name
cannot bind his record; a WeChat user signs in by the official account's OAuth and pays by
JSAPI, an Alipay user by the service window's OAuth and tradePay, every process real.

Each test prints how long its steps took (pytest -s shows them; the note of the round keeps
them)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from devstack.stack import Stack
from tests.e2e.patient import Patient, past_send_limit, sms_code, sms_count


def _timed(label: str, started: float) -> None:
    print(f"{label}: {(time.perf_counter() - started) * 1000:.0f} ms")


def test_a_stranger_who_knows_the_id_number_and_name_cannot_bind_the_record(
    stack: Stack,
) -> None:
    stranger = Patient(stack.url("cloud_service"), "13900000901", stack.url("sms"))
    started = time.perf_counter()
    stranger.sign_in()
    _timed("sign-in by SMS (ask, read, exchange)", started)
    texted_before = sms_count(stack.url("sms"), "13800000001")
    body = {"id_card_no": "110105198001010016", "name": "张伟"}
    pending = past_send_limit(lambda: stranger.call("POST", "/patients", json=body))
    assert pending.status_code == 202 and pending.json()["phone_masked"] == "138****0001"
    real = sms_code(stack.url("sms"), "13800000001", texted_before)  # on 张伟's phone only
    verify = f"/patients/{pending.json()['binding_id']}/verify"
    for n in range(1, 6):
        guess = stranger.call("POST", verify, json={"code": f"{(int(real) + n) % 10**6:06d}"})
        assert guess.json()["result_code"] == "2017"
    assert stranger.call("POST", verify, json={"code": real}).json()["result_code"] == "2017"
    assert stranger.call("GET", "/patients").json()["patients"] == []
    reports = stranger.call("GET", "/patients/M00000001/reports")
    assert reports.json()["result_code"] == "2011"

    owner = Patient(stack.url("cloud_service"), "13800000001", stack.url("sms"))
    owner.sign_in()
    started = time.perf_counter()
    assert owner.bind("110105198001010016", "张伟")["mrn"] == "M00000001"
    _timed("binding by the record's own phone", started)
    family = Patient(stack.url("cloud_service"), "13900000902", stack.url("sms"))
    family.sign_in()
    started = time.perf_counter()
    assert family.bind("110105198001010016", "张伟", record_phone="13800000001")["mrn"]
    _timed("binding with the code texted to the record's phone", started)


def _wechat_code(stack: Stack, user: str) -> str:
    answer = requests.get(
        f"{stack.url('wechatpay')}/connect/oauth2/authorize",
        params={
            "appid": stack.env["WECHAT_APPID"],
            "redirect_uri": f"{stack.url('cloud_service')}/h5/",
            "response_type": "code",
            "scope": "snsapi_base",
            "state": "e2e",
            "user": user,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def _alipay_code(stack: Stack, user: str) -> str:
    answer = requests.post(
        f"{stack.url('alipay')}/oauth2/publicAppAuthorize.htm/confirm",
        data={
            "app_id": stack.env["ALIPAY_APP_ID"],
            "scope": "auth_base",
            "redirect_uri": f"{stack.url('cloud_service')}/h5/",
            "state": "e2e",
            "user": user,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["auth_code"][0]


def _app_user(stack: Stack, grant: dict[str, str], phone: str) -> Patient:
    """An app user signed in by the app's OAuth, who then verifies a phone by SMS."""
    patient = Patient(stack.url("cloud_service"), phone, stack.url("sms"))
    answer = patient.session.post(
        f"{stack.url('cloud_service')}/api/v1/auth/tokens", json=grant, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["phone_verified"] is False
    patient.use(answer.json())
    refused = patient.call(
        "POST", "/patients", json={"id_card_no": "310101199206150027", "name": "李娜"}
    )
    assert refused.json()["result_code"] == "2018"  # a phone first
    code = patient.ask_code()
    verified = patient.call("POST", "/auth/phone", json={"phone": phone, "code": code})
    assert verified.status_code == 200, verified.text
    return patient


def _register(patient: Patient, mrn: str, channel: str) -> dict[str, Any]:
    schedule = patient.todays_schedule(mrn)
    return patient.register(mrn, schedule["schedule_id"], "SELF_PAY", channel)


def test_a_wechat_user_pays_by_jsapi_inside_wechat(stack: Stack) -> None:
    patient = _app_user(
        stack, {"grant": "wechat", "code": _wechat_code(stack, "微信用户A")}, "13800000002"
    )
    record = patient.bind("310101199206150027", "李娜")
    order = _register(patient, record["mrn"], "WECHAT")
    started = time.perf_counter()
    paying = patient.pay(order["order_no"])
    assert paying["entry"] == "WECHAT" and not paying["cashier_url"]
    params = paying["pay_params"]
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    forged = requests.post(
        f"{stack.url('wechatpay')}/jsapi/confirm",
        json={**params, "paySign": params["paySign"][::-1]},
        timeout=10,
    )
    assert "ok" not in forged.text  # a forged paySign pays nothing
    bridge = requests.post(f"{stack.url('wechatpay')}/jsapi/confirm", json=params, timeout=10)
    assert bridge.ok and "get_brand_wcpay_request:ok" in bridge.text, bridge.text
    done = patient.wait_for_state(order["order_no"], "CONFIRMED")
    _timed("JSAPI payment, from the pay call to CONFIRMED", started)
    assert done["channel"] == "WECHAT"


def test_an_alipay_user_pays_by_trade_pay_inside_alipay(stack: Stack) -> None:
    code = _alipay_code(stack, "支付宝用户A")
    patient = _app_user(stack, {"grant": "alipay", "auth_code": code}, "13800000003")
    record = patient.bind("440304197503200035", "王强")
    order = _register(patient, record["mrn"], "ALIPAY")
    started = time.perf_counter()
    paying = patient.pay(order["order_no"])
    assert paying["entry"] == "ALIPAY" and paying["pay_params"]["tradeNO"]
    bridge = requests.post(
        f"{stack.url('alipay')}/jsapi/trade-pay", json=paying["pay_params"], timeout=10
    )
    assert bridge.ok and "9000" in bridge.text, bridge.text
    patient.wait_for_state(order["order_no"], "CONFIRMED")
    _timed("tradePay payment, from the pay call to CONFIRMED", started)
