"""Paying inside WeChat through the simulator's test client: JSAPI orders need an openid
issued for their appid, and the bridge's confirm pays only a genuine, unpaid JSAPI prepay
of the signed appId, once, with the cashier's notification."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from wechatpayv3.utils import build_authorization, load_private_key, rsa_sign, rsa_verify

from simulators.wechatpay import create_app
from simulators.wechatpay.models import Trade
from simulators.wechatpay.signing import Platform, load_platform
from tests.integration.wechatpay.conftest import (
    APIV3_KEY,
    APPID,
    MCHID,
    OTHER_APPID,
    PUBLIC_KEY_ID,
    SERIAL_NO,
    Receiver,
    sim_settings,
)


@pytest.fixture
def app(keys: Path, tmp_path: Path) -> Iterator[Flask]:
    """The simulator with its notifier running (fast retries)."""
    flask_app = create_app(sim_settings(keys, tmp_path))
    yield flask_app
    flask_app.extensions["wechatpay_sim"].notifier.stop()


def _openid(app: Flask, appid: str = APPID, user: str = "微信用户A") -> str:
    return str(app.extensions["wechatpay_sim"].directory.openid(appid, user))


def _place(app: Flask, keys: Path, kind: str, body: dict[str, Any]) -> Any:
    """A place-order request signed with the merchant key, as wechatpayv3 signs it."""
    path, text = f"/v3/pay/transactions/{kind}", json.dumps(body)
    key = load_private_key((keys / "merchant_private.pem").read_text())
    header = build_authorization(path, "POST", MCHID, SERIAL_NO, key, data=text)
    return app.test_client().post(
        path, data=text, headers={"Authorization": header, "Content-Type": "application/json"}
    )


def _order(no: str, notify_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "appid": APPID,
        "mchid": MCHID,
        "description": "挂号费",
        "out_trade_no": no,
        "notify_url": notify_url,
        "amount": {"total": 2500, "currency": "CNY"},
        **extra,
    }


def _jsapi(app: Flask, keys: Path, no: str, notify_url: str = "http://127.0.0.1:9/n") -> str:
    answer = _place(app, keys, "jsapi", _order(no, notify_url, payer={"openid": _openid(app)}))
    assert answer.status_code == 200, answer.get_json()
    return str(answer.get_json()["prepay_id"])


def bridge_params(keys: Path, prepay_id: str, app_id: str = APPID) -> dict[str, str]:
    """What create_jsapi hands the page: paySign over appId, timeStamp, nonceStr, package."""
    key = load_private_key((keys / "merchant_private.pem").read_text())
    stamp, nonce = str(int(time.time())), "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
    package = f"prepay_id={prepay_id}"
    sign = rsa_sign(key, f"{app_id}\n{stamp}\n{nonce}\n{package}\n")
    return {
        "appId": app_id,
        "timeStamp": stamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": sign,
    }


def _stored(client: FlaskClient, no: str) -> dict[str, Any]:
    stored: dict[str, Any] = client.get(f"/sim/trades/{no}").get_json()
    return stored


def test_a_jsapi_order_for_another_appids_openid_is_refused(app: Flask, keys: Path) -> None:
    theirs = _openid(app, OTHER_APPID)
    answer = _place(app, keys, "jsapi", _order("ORD-JS-X1", "http://n", payer={"openid": theirs}))
    assert answer.status_code == 400
    assert answer.get_json() == {"code": "PARAM_ERROR", "message": "appid和openid不匹配"}
    made_up = _place(app, keys, "jsapi", _order("ORD-JS-X2", "http://n", payer={"openid": "oX"}))
    assert made_up.status_code == 400 and made_up.get_json()["code"] == "PARAM_ERROR"
    bare = _place(app, keys, "jsapi", _order("ORD-JS-X3", "http://n"))
    assert bare.status_code == 400 and "openid" in bare.get_json()["message"]
    assert app.test_client().get("/sim/trades/ORD-JS-X1").status_code == 404


def test_confirm_with_a_good_pay_sign_pays_once_and_sends_the_notification(
    app: Flask, keys: Path, receiver: Receiver
) -> None:
    client = app.test_client()
    prepay_id = _jsapi(app, keys, "ORD-JS-B1", receiver.url)
    shown = client.get("/jsapi/order", query_string={"package": f"prepay_id={prepay_id}"})
    assert shown.get_json()["amount_yuan"] == "25.00"
    params = bridge_params(keys, prepay_id)
    paid = client.post("/jsapi/confirm", json=params, headers={"Origin": "http://cloud.test"})
    assert paid.status_code == 200
    assert paid.get_json()["err_msg"] == "get_brand_wcpay_request:ok"
    assert paid.headers["Access-Control-Allow-Origin"] == "http://cloud.test"
    receiver.wait_for(1)
    headers, body = receiver.received[0]
    platform = load_platform(
        private_pem=(keys / "platform_private.pem").read_bytes(),
        public_key_id=PUBLIC_KEY_ID,
        merchant_public_pem=(keys / "merchant_public.pem").read_bytes(),
        mchid=MCHID,
        merchant_serial_no=SERIAL_NO,
        apiv3_key=APIV3_KEY,
    )
    _assert_signed_success(platform, headers, body)
    again = client.post("/jsapi/confirm", json=params)
    assert again.status_code == 400 and again.get_json()["code"] == "ORDERPAID"
    assert again.get_json()["err_msg"] == "get_brand_wcpay_request:fail"
    time.sleep(0.5)
    assert len(_stored(client, "ORD-JS-B1")["notifications"]) == 1
    assert _stored(client, "ORD-JS-B1")["payer_openid"] == _openid(app)


def _assert_signed_success(platform: Platform, headers: dict[str, str], body: bytes) -> None:
    assert rsa_verify(
        headers["Wechatpay-Timestamp"],
        headers["Wechatpay-Nonce"],
        body.decode(),
        headers["Wechatpay-Signature"],
        platform.private_key.public_key(),
    )
    assert json.loads(body)["event_type"] == "TRANSACTION.SUCCESS"


def _forged(params: dict[str, str]) -> dict[str, str]:
    return {**params, "nonceStr": "ANOTHER0NONCE0THAN0WAS0SIGNED00"}


@pytest.mark.parametrize(
    ("tamper", "status", "code"),
    [
        (_forged, 400, "SIGN_ERROR"),
        (lambda p: {**p, "paySign": p["paySign"][:-8] + "AAAAAAA="}, 400, "SIGN_ERROR"),
        (lambda p: {**p, "paySign": "不是签名"}, 400, "SIGN_ERROR"),
        (lambda p: {**p, "signType": "MD5"}, 400, "PARAM_ERROR"),
        (lambda p: {k: v for k, v in p.items() if k != "timeStamp"}, 400, "PARAM_ERROR"),
        (lambda p: {**p, "timeStamp": 1700000000}, 400, "PARAM_ERROR"),
        (lambda p: {**p, "package": "prepay_id=" + "x" * 200}, 400, "PARAM_ERROR"),
        (lambda p: [p], 400, "PARAM_ERROR"),
    ],
)
def test_forged_or_malformed_bridge_params_are_refused_and_nothing_is_paid(
    app: Flask, keys: Path, tamper: Any, status: int, code: str
) -> None:
    client = app.test_client()
    prepay_id = _jsapi(app, keys, "ORD-JS-F1")
    refused = client.post("/jsapi/confirm", json=tamper(bridge_params(keys, prepay_id)))
    assert refused.status_code == status and refused.get_json()["code"] == code
    assert refused.get_json()["err_msg"] == "get_brand_wcpay_request:fail"
    assert _stored(client, "ORD-JS-F1")["trade_state"] == "NOTPAY"


def test_a_prepay_paid_as_another_appid_is_refused_even_when_signed(app: Flask, keys: Path) -> None:
    client = app.test_client()
    prepay_id = _jsapi(app, keys, "ORD-JS-A1")
    refused = client.post("/jsapi/confirm", json=bridge_params(keys, prepay_id, OTHER_APPID))
    assert refused.status_code == 400 and "appId" in refused.get_json()["message"]
    assert _stored(client, "ORD-JS-A1")["trade_state"] == "NOTPAY"


def test_unknown_closed_and_h5_prepays_are_refused(app: Flask, keys: Path) -> None:
    client = app.test_client()
    unknown = client.post("/jsapi/confirm", json=bridge_params(keys, "wx0000notmine"))
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "ORDER_NOT_EXIST"
    h5 = _place(app, keys, "h5", _order("ORD-H5-J1", "http://n", scene_info={"x": 1}))
    h5_prepay = h5.get_json()["h5_url"].rsplit("/", 1)[1]
    not_jsapi = client.post("/jsapi/confirm", json=bridge_params(keys, h5_prepay))
    assert not_jsapi.status_code == 400 and "JSAPI" in not_jsapi.get_json()["message"]
    assert _stored(client, "ORD-H5-J1")["trade_state"] == "NOTPAY"
    prepay_id = _jsapi(app, keys, "ORD-JS-C1")
    with app.extensions["wechatpay_sim"].factory() as session:
        session.get(Trade, "ORD-JS-C1").trade_state = "CLOSED"  # type: ignore[union-attr]
        session.commit()
    closed = client.post("/jsapi/confirm", json=bridge_params(keys, prepay_id))
    assert closed.status_code == 400 and closed.get_json()["code"] == "ORDER_CLOSED"


def test_the_bridge_script_defines_weixinjsbridge_and_fires_ready_with_a_preflight_allowed(
    app: Flask,
) -> None:
    client = app.test_client()
    script = client.get("/jsbridge.js")
    text = script.get_data(as_text=True)
    assert script.status_code == 200 and script.content_type.startswith("application/javascript")
    assert "window.WeixinJSBridge" in text and "getBrandWCPayRequest" in text
    assert "WeixinJSBridgeReady" in text and "确认支付" in text and "取消" in text
    assert "http://localhost/jsapi/confirm" in text
    preflight = client.options(
        "/jsapi/confirm",
        headers={"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
