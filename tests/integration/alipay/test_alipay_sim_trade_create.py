"""alipay.trade.create with a buyer this app was issued, and paying it through the JS bridge
stand-in (POST /jsapi/trade-pay) as a page inside the Alipay app does; signed with real
RSA2 keys, the notification delivered to a real receiver."""

from __future__ import annotations

import pytest

from tests.integration.alipay.conftest import APP_ID, Receiver, Window

CREATE = "alipay.trade.create"
PAY = "/jsapi/trade-pay"


def _buyer(window: Window, user: str = "支付宝用户A", sdk=None, app_id: str = APP_ID) -> dict:
    """The ids alipay.system.oauth.token gave app ``app_id`` for ``user``."""
    merchant = sdk or window.sdk_a
    code = window.auth_code(user, app_id=app_id)
    _, text = window.call(
        "alipay.system.oauth.token", merchant, grant_type="authorization_code", code=code
    )
    return merchant._verify_and_return_sync_response(text, "alipay_system_oauth_token_response")


def _create(window: Window, out_trade_no: str, notify_url: str = "", sdk=None, **buyer: str):
    biz = {"out_trade_no": out_trade_no, "total_amount": "25.50", "subject": "门诊缴费", **buyer}
    extra = {"notify_url": notify_url} if notify_url else {}
    answer, _ = window.call(CREATE, sdk or window.sdk_a, biz, **extra)
    return answer["alipay_trade_create_response"]


def _query(window: Window, out_trade_no: str, sdk=None) -> dict:
    answer, _ = window.call("alipay.trade.query", sdk, {"out_trade_no": out_trade_no})
    return answer["alipay_trade_query_response"]


def _pay(window: Window, trade_no: str, **extra: str):
    return window.app.test_client().post(PAY, json={"tradeNO": trade_no, **extra})


def test_trade_create_for_the_apps_buyer_answers_a_waiting_trade_no(window: Window) -> None:
    buyer = _buyer(window)
    by_user_id = _create(window, "JS-0001", buyer_id=buyer["user_id"])
    by_open_id = _create(window, "JS-0002", buyer_open_id=buyer["open_id"])
    for made, out in ((by_user_id, "JS-0001"), (by_open_id, "JS-0002")):
        assert made["code"] == "10000" and made["out_trade_no"] == out and made["trade_no"]
        assert _query(window, out)["trade_status"] == "WAIT_BUYER_PAY"


def test_trade_create_without_a_buyer_is_refused(window: Window) -> None:
    refused = _create(window, "JS-0003")
    assert (refused["code"], refused["sub_code"]) == ("40004", "ACQ.INVALID_PARAMETER")
    assert _query(window, "JS-0003")["sub_code"] == "ACQ.TRADE_NOT_EXIST"


def test_trade_create_with_another_apps_open_id_or_an_unissued_id_is_refused(
    window: Window,
) -> None:
    theirs = _buyer(window, "支付宝用户B", sdk=window.sdk_b, app_id="2021000000000002")
    mine = _buyer(window, "支付宝用户A")
    for n, buyer in enumerate(
        [
            {"buyer_open_id": theirs["open_id"]},  # issued to app B, not to A
            {"buyer_id": theirs["user_id"]},  # B's user never authorized app A
            {"buyer_open_id": "0" + "f" * 46},  # made up
            {"buyer_id": "2088000000000099"},
            {"buyer_open_id": mine["open_id"], "buyer_id": theirs["user_id"]},  # disagree
        ]
    ):
        refused = _create(window, f"JS-01{n}", **buyer)
        assert (refused["code"], refused["sub_code"]) == ("40004", "ACQ.INVALID_PARAMETER")
        assert "买家" in refused["sub_msg"]
        assert _query(window, f"JS-01{n}")["sub_code"] == "ACQ.TRADE_NOT_EXIST"


def test_the_same_order_sent_again_for_another_buyer_is_refused(window: Window) -> None:
    a, b = _buyer(window, "支付宝用户A"), _buyer(window, "支付宝用户B")
    first = _create(window, "JS-0020", buyer_id=a["user_id"])
    assert _create(window, "JS-0020", buyer_id=a["user_id"])["trade_no"] == first["trade_no"]
    again = _create(window, "JS-0020", buyer_id=b["user_id"])
    assert again["sub_code"] == "ACQ.TRADE_BUYER_NOT_MATCH"


def test_another_app_cannot_see_or_close_the_trade(window: Window) -> None:
    _create(window, "JS-0030", buyer_id=_buyer(window)["user_id"])
    assert _query(window, "JS-0030", window.sdk_b)["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    answer, _ = window.call("alipay.trade.close", window.sdk_b, {"out_trade_no": "JS-0030"})
    assert answer["alipay_trade_close_response"]["sub_code"] == "ACQ.TRADE_NOT_EXIST"
    assert _query(window, "JS-0030")["trade_status"] == "WAIT_BUYER_PAY"


def test_trade_pay_confirm_pays_once_and_sends_the_signed_notification(
    window: Window, receiver: Receiver
) -> None:
    buyer = _buyer(window)
    made = _create(window, "JS-0040", receiver.url, buyer_open_id=buyer["open_id"])
    paid = _pay(window, made["trade_no"])
    assert paid.status_code == 200 and paid.get_json()["resultCode"] == "9000"
    assert paid.headers["Access-Control-Allow-Origin"] == "*"
    queried = _query(window, "JS-0040")
    assert queried["trade_status"] == "TRADE_SUCCESS"
    assert queried["buyer_user_id"] == buyer["user_id"] and queried["total_amount"] == "25.50"
    receiver.wait_for(1)
    form = dict(receiver.received[0])
    sign = form.pop("sign")
    assert window.sdk_a.verify(dict(form), sign)
    assert (form["trade_status"], form["trade_no"], form["buyer_id"]) == (
        "TRADE_SUCCESS",
        made["trade_no"],
        buyer["user_id"],
    )
    again = _pay(window, made["trade_no"])
    assert again.status_code == 409
    assert again.get_json() | {"memo": ""} == {
        "resultCode": "4000",
        "sub_code": "ACQ.TRADE_HAS_SUCCESS",
        "memo": "",
    }
    stored = window.app.test_client().get("/sim/trades/JS-0040").get_json()
    assert len(stored["notifications"]) == 1


@pytest.mark.parametrize("body", [{"tradeNO": "2026010122001999999999999999"}, {}, {"x": 1}])
def test_trade_pay_of_an_unknown_trade_is_refused(window: Window, body: dict) -> None:
    refused = window.app.test_client().post(PAY, json=body)
    assert refused.status_code == 404
    assert refused.get_json()["resultCode"] == "4000" and refused.get_json()["memo"] == "交易不存在"


def test_trade_pay_of_a_closed_trade_is_refused_and_nothing_is_paid(window: Window) -> None:
    made = _create(window, "JS-0050", buyer_id=_buyer(window)["user_id"])
    window.call("alipay.trade.close", None, {"out_trade_no": "JS-0050"})
    refused = _pay(window, made["trade_no"])
    assert refused.status_code == 409 and refused.get_json()["sub_code"] == "ACQ.TRADE_HAS_CLOSE"
    assert _query(window, "JS-0050")["trade_status"] == "TRADE_CLOSED"


def test_trade_pay_by_another_buyer_is_refused_and_nothing_is_paid(window: Window) -> None:
    a, b = _buyer(window, "支付宝用户A"), _buyer(window, "支付宝用户B")
    made = _create(window, "JS-0060", buyer_id=a["user_id"])
    for other in (b["user_id"], b["open_id"]):
        refused = _pay(window, made["trade_no"], buyer_id=other)
        assert refused.status_code == 409
        assert refused.get_json()["sub_code"] == "ACQ.TRADE_BUYER_NOT_MATCH"
    assert _query(window, "JS-0060")["trade_status"] == "WAIT_BUYER_PAY"
    assert _pay(window, made["trade_no"], buyer_id=a["open_id"]).get_json()["resultCode"] == "9000"


def test_a_wap_or_qr_trade_cannot_be_paid_through_the_bridge(window: Window) -> None:
    biz = {"out_trade_no": "JS-0070", "total_amount": "1.00", "subject": "挂号费"}
    answer, _ = window.call("alipay.trade.precreate", None, biz)
    trade_no = window.app.test_client().get("/sim/trades/JS-0070").get_json()["trade_no"]
    assert answer["alipay_trade_precreate_response"]["code"] == "10000"
    assert _pay(window, trade_no).status_code == 404
    assert _query(window, "JS-0070")["trade_status"] == "WAIT_BUYER_PAY"


def test_a_trade_paid_through_the_bridge_refunds_as_any_other(window: Window) -> None:
    made = _create(window, "JS-0080", buyer_id=_buyer(window)["user_id"])
    _pay(window, made["trade_no"])
    biz = {"out_trade_no": "JS-0080", "refund_amount": "25.50", "out_request_no": "R1"}
    refund, _ = window.call("alipay.trade.refund", None, biz)
    assert refund["alipay_trade_refund_response"]["fund_change"] == "Y"
    assert _query(window, "JS-0080")["trade_status"] == "TRADE_CLOSED"


def test_injected_error_on_trade_pay_pays_nothing(window: Window) -> None:
    made = _create(window, "JS-0090", buyer_id=_buyer(window)["user_id"])
    client = window.app.test_client()
    client.post("/sim/faults", json={"mode": "error", "method": "jsapi.tradePay", "count": 1})
    busy = _pay(window, made["trade_no"])
    assert busy.status_code == 503 and busy.get_json()["resultCode"] == "4000"
    assert _query(window, "JS-0090")["trade_status"] == "WAIT_BUYER_PAY"
    assert _pay(window, made["trade_no"]).get_json()["resultCode"] == "9000"


def test_bridge_preflight_is_allowed_from_any_origin(window: Window) -> None:
    answer = window.app.test_client().options(
        PAY, headers={"Origin": "https://hospital.example", "Access-Control-Request-Method": "POST"}
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]


def test_bridge_script_defines_alipay_js_bridge_and_calls_this_simulator_back(
    window: Window,
) -> None:
    script = window.app.test_client().get("/jsbridge.js")
    text = script.get_data(as_text=True)
    assert script.status_code == 200 and script.mimetype == "application/javascript"
    assert "window.AlipayJSBridge" in text and '"tradePay"' in text
    assert "AlipayJSBridgeReady" in text and "确认付款" in text and "取消" in text
    assert '"http://localhost/jsapi/trade-pay"' in text
    assert '"6001"' in text and '"9000"' not in text  # success comes from the simulator only
