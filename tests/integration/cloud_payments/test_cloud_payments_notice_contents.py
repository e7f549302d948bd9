"""Validly signed notifications whose contents lie: a state that is not SUCCESS, another
merchant, app or currency, an amount that is not the order's or not exactly yuan, an
unknown trade or refund status. None credits an order; only what the channel took does."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from cloud_service import saga
from cloud_service.models import ChannelNotice, OrderEvent
from devstack.ports import free_port
from tests.integration.cloud_payments.conftest import (
    MCHID,
    Cloud,
    new_order,
    order_of,
    wait_for_state,
    wechat_channel,
)
from tests.integration.cloud_payments.forge import alipay_form, wechat_notice, wechat_resource

ALIPAY_KEY = "ali_platform_private.pem"


def _order_no(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(6).upper()}"


def _uncredited(cloud: Cloud, order_no: str) -> bool:
    """True when the order still waits for its money: never PAID, no notice kept."""
    with cloud.deps.sessions() as session:
        states = list(
            session.scalars(select(OrderEvent.to_state).where(OrderEvent.order_no == order_no))
        )
        notices = session.scalar(select(func.count()).where(ChannelNotice.out_trade_no == order_no))
    state = order_of(cloud.deps, order_no).state
    return state == saga.AWAITING_PAYMENT and saga.PAID not in states and notices == 0


def _post_wechat(
    cloud: Cloud, resource: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS"
) -> requests.Response:
    path = "/api/v1/notify/wechat" + ("/refund" if event_type.startswith("REFUND.") else "")
    headers, body = wechat_notice(cloud, resource, event_type=event_type)
    return requests.post(cloud.url + path, data=body, headers=headers, timeout=10)


@pytest.mark.parametrize("state", ["NOTPAY", "USERPAYING", "CLOSED", "REFUND", "PAYERROR"])
def test_signed_notice_of_an_unpaid_state_is_acknowledged_and_credits_nothing(
    cloud: Cloud, state: str
) -> None:
    order_no = _order_no("WXS")
    new_order(cloud.deps, order_no, "WECHAT", 500)
    cloud.wechat.create_h5(order_no, 500, "挂号费")  # at the channel, not paid: NOTPAY

    answer = _post_wechat(cloud, wechat_resource(order_no, 500, trade_state=state))

    assert answer.status_code == 204  # acknowledged: WeChat Pay need not send it again
    assert _uncredited(cloud, order_no)


def test_unpaid_notice_of_a_trade_the_channel_never_had_credits_nothing(cloud: Cloud) -> None:
    order_no = _order_no("WXU")
    new_order(cloud.deps, order_no, "WECHAT", 500)  # no channel trade: the query says so
    answer = _post_wechat(cloud, wechat_resource(order_no, 500, trade_state="NOTPAY"))
    assert answer.status_code == 204
    assert _uncredited(cloud, order_no)


def test_unpaid_notice_of_a_trade_the_channel_did_take_credits_it_by_the_query(
    cloud: Cloud,
) -> None:
    order_no = _order_no("WXQ")
    new_order(cloud.deps, order_no, "WECHAT", 700)
    # Placed with a notify_url nobody listens on: the channel's own notice is lost.
    elsewhere = wechat_channel(cloud.keys, cloud.wechat_sim, f"http://127.0.0.1:{free_port()}")
    h5_url = elsewhere.create_h5(order_no, 700, "挂号费")["h5_url"]
    requests.post(h5_url + "/pay", timeout=5).raise_for_status()

    answer = _post_wechat(cloud, wechat_resource(order_no, 700, trade_state="NOTPAY"))

    assert answer.status_code == 204
    order = wait_for_state(cloud.deps, order_no, saga.CONFIRMED)
    assert order.channel_trade_no == cloud.wechat.query(order_no).transaction_id


@pytest.mark.parametrize(
    "changed",
    [
        {"appid": "wx0000000000000002"},
        {"mchid": "1900000002"},
        {"amount": {"total": 500, "currency": "USD"}},
        {"amount": {"total": 500}},
        {"amount": {"total": 500.9, "currency": "CNY"}},  # int() made it 500
        {"amount": {"total": "500", "currency": "CNY"}},
        {"amount": {"total": 501, "currency": "CNY"}},
        {"amount": {"total": 499, "currency": "CNY"}, "trade_state": "NOTPAY"},
        {"out_trade_no": "WXNOSUCHORDER0001"},
        {"out_trade_no": "WXNOSUCHORDER0002", "trade_state": "NOTPAY"},
    ],
    ids=lambda changed: "-".join(f"{k}={v}" for k, v in changed.items()),
)
def test_signed_notice_for_another_merchant_currency_amount_or_order_is_refused(
    cloud: Cloud, changed: dict[str, Any]
) -> None:
    order_no = _order_no("WXM")
    new_order(cloud.deps, order_no, "WECHAT", 500)

    answer = _post_wechat(cloud, wechat_resource(order_no, 500, **changed))

    assert answer.status_code == 400  # WeChat Pay's FAIL: not taken
    assert answer.json()["code"] == "FAIL"
    assert _uncredited(cloud, order_no)
    # The genuine notice is still taken afterwards: the refused one left no trace.
    assert _post_wechat(cloud, wechat_resource(order_no, 500)).status_code == 204
    assert order_of(cloud.deps, order_no).state in (saga.PAID, saga.CONFIRMED)


def _refund_resource(order_no: str, **changed: Any) -> dict[str, Any]:
    return {
        "mchid": MCHID,
        "transaction_id": "4200" + secrets.token_hex(8),
        "out_trade_no": order_no,
        "refund_id": "5030" + secrets.token_hex(8),
        "out_refund_no": order_no + "R1",
        "refund_status": "SUCCESS",
        "amount": {"total": 400, "refund": 400, "payer_total": 400, "payer_refund": 400},
        **changed,
    }


@pytest.mark.parametrize(
    ("event_type", "changed"),
    [
        ("REFUND.SUCCESS", {"refund_status": None}),
        ("REFUND.SUCCESS", {"refund_status": "PROCESSING"}),
        ("REFUND.SUCCESS", {"refund_status": "success"}),
        ("REFUND.SUCCESS", {"refund_status": "CLOSED"}),  # says one thing, reports another
        ("REFUND.ABNORMAL", {"refund_status": "SUCCESS"}),
        ("REFUND.SUCCESS", {"mchid": "1900000002"}),
        ("REFUND.SUCCESS", {"amount": {"total": 400, "refund": 400.5}}),
        ("REFUND.SUCCESS", {"out_refund_no": ""}),
    ],
)
def test_signed_refund_notice_with_an_unknown_status_or_merchant_is_refused(
    cloud: Cloud, event_type: str, changed: dict[str, Any]
) -> None:
    order_no = _order_no("WXR")
    resource = {k: v for k, v in _refund_resource(order_no, **changed).items() if v is not None}
    answer = _post_wechat(cloud, resource, event_type=event_type)
    assert answer.status_code == 400 and answer.json()["code"] == "FAIL"


@pytest.mark.parametrize("event_type", ["REFUND.SUCCESS", "REFUND.CLOSED", "REFUND.ABNORMAL"])
def test_signed_refund_notice_with_a_known_outcome_is_acknowledged(
    cloud: Cloud, event_type: str
) -> None:
    resource = _refund_resource(_order_no("WXR"), refund_status=event_type.split(".")[1])
    assert _post_wechat(cloud, resource, event_type=event_type).status_code == 204


@pytest.mark.parametrize(
    ("amount", "cash_fen"),
    [
        ("11.000001", 1100),  # Decimal rounded it to 1100
        ("11.", 1100),
        (" 11", 1100),
        ("11.00 ", 1100),
        ("１１", 1100),  # fullwidth digits: Decimal reads them as 11
        ("1e1", 1000),
        ("-11", 1100),
        ("NaN", 1100),
        ("11,00", 1100),
    ],
)
def test_alipay_amount_that_is_not_exactly_yuan_is_refused_never_rounded(
    cloud: Cloud, amount: str, cash_fen: int
) -> None:
    order_no = _order_no("ALA")
    new_order(cloud.deps, order_no, "ALIPAY", cash_fen)
    url = cloud.url + "/api/v1/notify/alipay"
    answer = requests.post(url, data=alipay_form(cloud, order_no, amount, ALIPAY_KEY), timeout=10)
    assert answer.text == "fail"
    assert _uncredited(cloud, order_no)


@pytest.mark.parametrize(
    "changed",
    [{"app_id": "2021000000000002"}, {"seller_id": "2088000000000002"}, {"seller_id": ""}],
)
def test_alipay_notice_for_another_app_or_seller_is_refused(
    cloud: Cloud, changed: dict[str, str]
) -> None:
    order_no = _order_no("ALS")
    new_order(cloud.deps, order_no, "ALIPAY", 1100)
    form = alipay_form(cloud, order_no, "11.00", ALIPAY_KEY, **changed)
    answer = requests.post(cloud.url + "/api/v1/notify/alipay", data=form, timeout=10)
    assert answer.text == "fail"
    assert _uncredited(cloud, order_no)
    genuine = alipay_form(cloud, order_no, "11.00", ALIPAY_KEY)
    assert requests.post(cloud.url + "/api/v1/notify/alipay", data=genuine).text == "success"
