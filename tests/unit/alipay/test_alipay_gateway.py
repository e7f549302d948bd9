"""The gateway through its test client: refusals in the real answer shape, signed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from alipay import AliPay
from flask import Flask

from envelope import clock
from simulators.alipay.models import Trade

ORDER = {"out_trade_no": "U-0001", "total_amount": "88.00", "subject": "挂号费"}


def _verified(sdk: AliPay, method: str, text: str) -> dict:
    key = method.replace(".", "_") + "_response"
    return sdk._verify_and_return_sync_response(text, key)


def test_signed_precreate_answers_a_cashier_qr_code_with_a_verifiable_sign(
    app: Flask, sdk: AliPay, signed: Callable[..., dict[str, str]]
) -> None:
    answer = app.test_client().post("/gateway.do", data=signed("alipay.trade.precreate", ORDER))
    text = answer.get_data(as_text=True)
    assert text.startswith('{"alipay_trade_precreate_response":{') and '},"sign":"' in text
    body = _verified(sdk, "alipay.trade.precreate", text)
    assert body["code"] == "10000" and body["qr_code"].endswith("/cashier/U-0001")


def test_query_string_and_form_are_merged_before_verifying(
    app: Flask, sdk: AliPay, signed: Callable[..., dict[str, str]]
) -> None:
    params = signed("alipay.trade.precreate", ORDER)
    query = {k: params.pop(k) for k in ("app_id", "method", "sign", "charset")}
    answer = app.test_client().post("/gateway.do", query_string=query, data=params)
    assert _verified(sdk, "alipay.trade.precreate", answer.get_data(as_text=True))["code"] == (
        "10000"
    )


def test_tampered_request_is_refused_with_40002_invalid_signature(
    app: Flask, sdk: AliPay, signed: Callable[..., dict[str, str]]
) -> None:
    params = signed("alipay.trade.query", {"out_trade_no": "U-0001"})
    params["biz_content"] = json.dumps({"out_trade_no": "U-0002"})
    text = app.test_client().get("/gateway.do", query_string=params).get_data(as_text=True)
    body = _verified(sdk, "alipay.trade.query", text)
    assert (body["code"], body["sub_code"]) == ("40002", "isv.invalid-signature")


def test_timestamp_an_hour_off_is_refused(
    app: Flask, sdk: AliPay, signed: Callable[..., dict[str, str]]
) -> None:
    stale = (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    params = signed("alipay.trade.query", {"out_trade_no": "U-0001"}, timestamp=stale)
    text = app.test_client().get("/gateway.do", query_string=params).get_data(as_text=True)
    assert _verified(sdk, "alipay.trade.query", text)["sub_code"] == "isv.invalid-timestamp"


def test_unknown_app_id_is_refused_without_a_sign(
    app: Flask, signed: Callable[..., dict[str, str]]
) -> None:
    params = signed("alipay.trade.query", {"out_trade_no": "U-0001"}, app_id="2021999")
    body = app.test_client().get("/gateway.do", query_string=params).get_json()
    assert "sign" not in body
    assert body["alipay_trade_query_response"]["sub_code"] == "isv.invalid-app-id"


def test_missing_sign_and_unknown_method_are_refused(
    app: Flask, sdk: AliPay, signed: Callable[..., dict[str, str]]
) -> None:
    params = signed("alipay.trade.query", {"out_trade_no": "U-0001"})
    del params["sign"]
    body = app.test_client().get("/gateway.do", query_string=params).get_json()
    assert body["alipay_trade_query_response"]["sub_code"] == "isv.missing-sign"
    params = signed("alipay.trade.nothing", {})
    body = app.test_client().get("/gateway.do", query_string=params).get_json()
    assert body["error_response"]["sub_code"] == "isv.invalid-method"


def test_query_of_an_unknown_trade_is_trade_not_exist(
    app: Flask, sdk: AliPay, signed: Callable[..., dict[str, str]]
) -> None:
    params = signed("alipay.trade.query", {"out_trade_no": "U-NONE"})
    text = app.test_client().get("/gateway.do", query_string=params).get_data(as_text=True)
    body = _verified(sdk, "alipay.trade.query", text)
    assert (body["code"], body["sub_code"]) == ("40004", "ACQ.TRADE_NOT_EXIST")


def test_amount_with_three_decimals_is_an_invalid_parameter(
    app: Flask, sdk: AliPay, signed: Callable[..., dict[str, str]]
) -> None:
    params = signed("alipay.trade.precreate", {**ORDER, "total_amount": "1.001"})
    text = app.test_client().post("/gateway.do", data=params).get_data(as_text=True)
    assert _verified(sdk, "alipay.trade.precreate", text)["sub_code"] == "ACQ.INVALID_PARAMETER"


def test_wap_pay_link_redirects_the_browser_to_the_cashier(
    app: Flask, signed: Callable[..., dict[str, str]]
) -> None:
    params = signed("alipay.trade.wap.pay", {**ORDER, "product_code": "QUICK_WAP_WAY"})
    answer = app.test_client().get("/gateway.do", query_string=params)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/cashier/U-0001")
    page = app.test_client().get("/cashier/U-0001").get_data(as_text=True)
    assert "88.00" in page and "确认支付" in page
    stored = app.test_client().get("/sim/trades/U-0001").get_json()
    assert stored["amount_fen"] == 8800 and stored["trade_status"] == "WAIT_BUYER_PAY"


def test_expired_trade_is_closed_and_cannot_be_paid(
    app: Flask, signed: Callable[..., dict[str, str]]
) -> None:
    params = signed("alipay.trade.page.pay", {**ORDER, "timeout_express": "1m"})
    app.test_client().get("/gateway.do", query_string=params)
    with app.extensions["alipay_sim"].factory.begin() as session:
        session.get(Trade, "U-0001").expire_at = 1.0
    refused = app.test_client().post("/cashier/U-0001/pay")
    assert refused.status_code == 400 and refused.get_json()["sub_code"] == "ACQ.TRADE_HAS_CLOSE"


def test_health_check_answers(app: Flask) -> None:
    assert app.test_client().get("/healthz").status_code == 200
