"""The simulator app through its test client: refusals in the real API's shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from wechatpayv3.utils import build_authorization, load_private_key, rsa_verify

from simulators.wechatpay import Settings, create_app
from simulators.wechatpay.signing import Platform
from simulators.wechatpay.trades import TradeError, parse_order

BODY = {
    "appid": "wx0000000000000001",
    "mchid": "1900000001",
    "description": "挂号费",
    "out_trade_no": "ORD1",
    "notify_url": "http://cloud/notify",
    "amount": {"total": 100, "currency": "CNY"},
}


@pytest.fixture
def app(keys: Path, tmp_path: Path, platform: Platform) -> Iterator[Flask]:
    settings = Settings(
        mchid="1900000001",
        appid="wx0000000000000001",
        apiv3_key=platform.apiv3_key,
        merchant_serial_no="UNITSERIAL",
        merchant_public_key_path=str(keys / "merchant_public.pem"),
        platform_private_key_path=str(keys / "platform_private.pem"),
        public_key_id=platform.public_key_id,
        database_url=f"sqlite:///{tmp_path / 'sim.db'}",
        start_notifier=False,
    )
    yield create_app(settings)


def _signed_post(app: Flask, keys: Path, path: str, body: dict, serial: str = "UNITSERIAL"):  # type: ignore[no-untyped-def]
    text = json.dumps(body)
    key = load_private_key((keys / "merchant_private.pem").read_text())
    header = build_authorization(path, "POST", "1900000001", serial, key, data=text)
    return app.test_client().post(
        path, data=text, headers={"Authorization": header, "Content-Type": "application/json"}
    )


def test_unsigned_request_gets_a_signed_401_sign_error(app: Flask, platform: Platform) -> None:
    answer = app.test_client().post("/v3/pay/transactions/h5", json=BODY)
    assert answer.status_code == 401 and answer.get_json()["code"] == "SIGN_ERROR"
    assert rsa_verify(
        answer.headers["Wechatpay-Timestamp"],
        answer.headers["Wechatpay-Nonce"],
        answer.get_data(as_text=True),
        answer.headers["Wechatpay-Signature"],
        platform.private_key.public_key(),
    )


def test_h5_without_scene_info_is_a_param_error(app: Flask, keys: Path) -> None:
    answer = _signed_post(app, keys, "/v3/pay/transactions/h5", BODY)
    assert answer.status_code == 400 and answer.json["code"] == "PARAM_ERROR"


def test_native_order_answers_a_weixin_code_url_that_scans_to_the_cashier(
    app: Flask, keys: Path
) -> None:
    answer = _signed_post(app, keys, "/v3/pay/transactions/native", BODY)
    code_url = answer.json["code_url"]
    assert answer.status_code == 200 and code_url.startswith("weixin://wxpay/bizpayurl?pr=wx")
    scanned = app.test_client().get("/cashier/scan", query_string={"code_url": code_url})
    assert scanned.status_code == 302 and "/cashier/wx" in scanned.headers["Location"]
    page = app.test_client().get(scanned.headers["Location"])
    assert page.status_code == 200 and "1.00" in page.get_data(as_text=True)
    foreign = app.test_client().get("/cashier/scan", query_string={"code_url": "https://x"})
    assert foreign.status_code == 400


def test_unknown_path_answers_in_the_real_error_shape(app: Flask) -> None:
    answer = app.test_client().get("/v3/nothing/here")
    assert answer.status_code == 404 and set(answer.get_json()) == {"code", "message"}


def test_health_check_answers(app: Flask) -> None:
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"amount": {"total": 0}},
        {"amount": {"total": 1.5}},
        {"amount": {"total": 1, "currency": "USD"}},
        {"description": ""},
        {"out_trade_no": "x" * 33},
    ],
)
def test_bad_order_fields_are_param_errors(change: dict) -> None:
    with pytest.raises(TradeError) as refused:
        parse_order("native", {**BODY, **change}, "1900000001", "wx0000000000000001")
    assert refused.value.code == "PARAM_ERROR"


def test_jsapi_needs_an_openid_and_our_merchant() -> None:
    with pytest.raises(TradeError, match="openid"):
        parse_order("jsapi", BODY, "1900000001", "wx0000000000000001")
    with pytest.raises(TradeError) as refused:
        parse_order("native", {**BODY, "mchid": "1"}, "1900000001", "wx0000000000000001")
    assert refused.value.code == "MCH_NOT_EXISTS"
