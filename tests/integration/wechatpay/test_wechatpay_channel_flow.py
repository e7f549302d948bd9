"""The cloud's WeChatPayChannel against the simulator over real sockets."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from cloud_service.channels import (
    ChannelOutcomeUnknown,
    ChannelRejected,
    ChannelUnavailable,
    NotificationRejected,
    TradeNotFound,
)
from cloud_service.channels.wechat import WeChatPayChannel
from devstack.keys import write_key_pair
from devstack.ports import free_port
from tests.integration.wechatpay.conftest import openid_of


def _pay_at_cashier(h5_url: str) -> dict:
    answer = requests.post(h5_url + "/pay", timeout=5)
    assert answer.status_code == 200
    return answer.json()


def test_h5_order_paid_at_cashier_is_notified_and_then_queried_as_success(
    channel: WeChatPayChannel, receiver, simulator: str
) -> None:
    order = channel.create_h5("ORD-H5-0001", 12345, "挂号费")
    assert order["h5_url"].startswith(simulator + "/cashier/")
    assert channel.query("ORD-H5-0001").state == "NOTPAY"
    page = requests.get(order["h5_url"], timeout=5)
    assert "确认支付" in page.text and "123.45" in page.text

    assert _pay_at_cashier(order["h5_url"])["trade_state"] == "SUCCESS"
    receiver.wait_for(1)
    headers, body = receiver.received[0]
    notified = channel.parse_notification(headers, body)
    assert (notified.out_trade_no, notified.state, notified.amount_fen) == (
        "ORD-H5-0001",
        "SUCCESS",
        12345,
    )
    assert notified.transaction_id.startswith("4200")

    queried = channel.query("ORD-H5-0001")
    assert queried.paid and queried.amount_fen == 12345
    assert queried.transaction_id == notified.transaction_id
    assert queried.success_time is not None and queried.success_time.endswith("+08:00")


def test_request_signed_with_a_wrong_merchant_key_is_refused_with_sign_error(
    channel_factory: Callable[..., WeChatPayChannel],
    simulator: str,
    receiver,
    tmp_path: Path,
) -> None:
    write_key_pair(tmp_path / "other.pem", tmp_path / "other_pub.pem")
    impostor = channel_factory(
        simulator, receiver.url, merchant_key=(tmp_path / "other.pem").read_text()
    )
    with pytest.raises(ChannelRejected) as refused:
        impostor.create_h5("ORD-H5-0002", 100, "挂号费")
    assert (refused.value.status, refused.value.code) == (401, "SIGN_ERROR")


def test_resending_an_order_returns_it_but_another_amount_is_out_trade_no_used(
    channel: WeChatPayChannel,
) -> None:
    first = channel.create_h5("ORD-H5-0003", 500, "门诊缴费")
    assert channel.create_h5("ORD-H5-0003", 500, "门诊缴费") == first
    with pytest.raises(ChannelRejected) as refused:
        channel.create_h5("ORD-H5-0003", 501, "门诊缴费")
    assert (refused.value.status, refused.value.code) == (400, "OUT_TRADE_NO_USED")


def test_closed_order_answers_204_then_queries_closed_and_cannot_be_paid(
    channel: WeChatPayChannel,
    receiver,
) -> None:
    order = channel.create_h5("ORD-H5-0004", 800, "门诊缴费")
    channel.close("ORD-H5-0004")
    channel.close("ORD-H5-0004")
    assert channel.query("ORD-H5-0004").state == "CLOSED"
    answer = requests.post(order["h5_url"] + "/pay", timeout=5)
    assert answer.status_code == 400 and answer.json()["code"] == "ORDER_CLOSED"
    assert receiver.received == []


def test_query_of_an_unknown_order_raises_trade_not_found(channel: WeChatPayChannel) -> None:
    with pytest.raises(TradeNotFound) as missing:
        channel.query("ORD-NEVER-SENT")
    assert (missing.value.status, missing.value.code) == (404, "ORDER_NOT_EXIST")


def test_tampered_notification_body_fails_verification(
    channel: WeChatPayChannel,
    receiver,
) -> None:
    order = channel.create_h5("ORD-H5-0005", 300, "检验费")
    _pay_at_cashier(order["h5_url"])
    receiver.wait_for(1)
    headers, body = receiver.received[0]
    event = json.loads(body)
    event["summary"] = "支付成功!"
    tampered = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    with pytest.raises(NotificationRejected):
        channel.parse_notification(headers, tampered)
    channel.parse_notification({k.lower(): v for k, v in headers.items()}, body)


def test_notification_is_retried_after_the_merchant_answers_500(
    channel: WeChatPayChannel,
    receiver,
    simulator: str,
) -> None:
    receiver.statuses = [500, 500]
    order = channel.create_h5("ORD-H5-0006", 900, "检查费")
    _pay_at_cashier(order["h5_url"])
    receiver.wait_for(3)
    bodies = [body for _, body in receiver.received]
    assert len({json.loads(body)["id"] for body in bodies}) == 1
    nonces = {headers["Wechatpay-Nonce"] for headers, _ in receiver.received}
    assert len(nonces) == 3
    # The receiver has answered the third attempt; the simulator records it just after.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        stored = requests.get(f"{simulator}/sim/trades/ORD-H5-0006", timeout=5).json()
        if stored["notifications"][0]["state"] != "PENDING":
            break
        time.sleep(0.05)
    assert stored["notifications"][0]["state"] == "DELIVERED"
    assert stored["notifications"][0]["attempts"] == 3


def test_jsapi_order_returns_prepay_id_and_signed_pay_params(
    channel: WeChatPayChannel,
    simulator: str,
) -> None:
    order = channel.create_jsapi("ORD-JS-0001", 2000, "挂号费", openid=openid_of(simulator))
    assert order["pay_params"]["package"] == f"prepay_id={order['prepay_id']}"
    assert order["pay_params"]["paySign"]
    page = requests.get(f"{simulator}/cashier/{order['prepay_id']}", timeout=5)
    assert page.status_code == 200 and "20.00" in page.text


def test_unreachable_channel_raises_channel_unavailable(
    channel_factory: Callable[..., WeChatPayChannel],
    receiver,
) -> None:
    nobody = channel_factory(f"http://127.0.0.1:{free_port()}", receiver.url)
    with pytest.raises(ChannelUnavailable):
        nobody.query("ORD-H5-0007")


def test_answer_lost_after_commit_raises_outcome_unknown_and_the_order_exists(
    channel_factory: Callable[..., WeChatPayChannel],
    channel: WeChatPayChannel,
    simulator: str,
    receiver,
) -> None:
    requests.post(
        f"{simulator}/sim/faults", json={"mode": "drop", "seconds": 1.5}, timeout=5
    ).raise_for_status()
    impatient = channel_factory(simulator, receiver.url, timeout=(2.0, 0.5))
    with pytest.raises(ChannelOutcomeUnknown):
        impatient.create_h5("ORD-H5-0008", 700, "门诊缴费")
    assert channel.query("ORD-H5-0008").state == "NOTPAY"


def test_injected_server_error_is_an_unknown_outcome(
    channel: WeChatPayChannel,
    simulator: str,
) -> None:
    requests.post(f"{simulator}/sim/faults", json={"mode": "error"}, timeout=5)
    with pytest.raises(ChannelOutcomeUnknown):
        channel.create_h5("ORD-H5-0009", 700, "门诊缴费")
    channel.create_h5("ORD-H5-0009", 700, "门诊缴费")


def test_abandoned_order_stays_unpaid_and_sends_nothing(
    channel: WeChatPayChannel,
    receiver,
) -> None:
    order = channel.create_h5("ORD-H5-0010", 100, "门诊缴费")
    answer = requests.post(order["h5_url"] + "/abandon", timeout=5)
    assert answer.json()["trade_state"] == "NOTPAY"
    assert channel.query("ORD-H5-0010").state == "NOTPAY"
    assert receiver.received == []
