"""Refunds, the trade bill, Native and JSAPI cashiers: the cloud's WeChatPayChannel (so the
real wechatpayv3 library) against the simulator over real sockets."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from cloud_service.channels import ChannelOutcomeUnknown, ChannelRejected
from cloud_service.channels.wechat import WeChatPayChannel
from devstack.keys import write_key_pair
from envelope import clock
from tests.integration.wechatpay.conftest import (
    APIV3_KEY,
    APPID,
    MCHID,
    PUBLIC_KEY_ID,
    REFUND_SECONDS,
    SERIAL_NO,
    Receiver,
    openid_of,
)


def _paid(channel: WeChatPayChannel, out_trade_no: str, amount_fen: int) -> None:
    order = channel.create_h5(out_trade_no, amount_fen, "门诊缴费")
    answer = requests.post(order["h5_url"] + "/pay", timeout=5)
    assert answer.json()["trade_state"] == "SUCCESS"


def _refund_events(receiver: Receiver) -> list[tuple[dict[str, str], bytes]]:
    return [(h, b) for h, b in receiver.received if b'"REFUND.' in b]


def _wait_refund_events(receiver: Receiver, count: int) -> list[tuple[dict[str, str], bytes]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(_refund_events(receiver)) < count:
        time.sleep(0.05)
    assert len(_refund_events(receiver)) >= count
    return _refund_events(receiver)


def test_refund_is_processing_then_success_notified_and_the_trade_turns_refund(
    channel: WeChatPayChannel, receiver: Receiver
) -> None:
    _paid(channel, "ORD-RF-0001", 2500)
    refund = channel.refund("ORD-RF-0001", "ORD-RF-0001R1", 2500, 2500, "停诊退费")
    assert (refund.status, refund.amount_fen) == ("PROCESSING", 2500)
    assert refund.refund_id.startswith("50")

    (headers, body), *_ = _wait_refund_events(receiver, 1)
    assert receiver.url + "/refund" in channel.refund_notify_url
    notified = channel.parse_refund_notification(headers, body)
    assert (notified.out_refund_no, notified.status, notified.amount_fen) == (
        "ORD-RF-0001R1",
        "SUCCESS",
        2500,
    )
    queried = channel.refund_query("ORD-RF-0001R1")
    assert queried is not None and queried.done and queried.refund_id == refund.refund_id
    assert queried.success_time is not None and queried.success_time.endswith("+08:00")
    assert channel.query("ORD-RF-0001").state == "REFUND"


def test_same_out_refund_no_refunds_once_and_other_content_is_refused(
    channel: WeChatPayChannel, simulator: str
) -> None:
    _paid(channel, "ORD-RF-0002", 1000)
    first = channel.refund("ORD-RF-0002", "ORD-RF-0002R1", 400, 1000, "")
    again = channel.refund("ORD-RF-0002", "ORD-RF-0002R1", 400, 1000, "")
    assert again.refund_id == first.refund_id
    with pytest.raises(ChannelRejected) as reused:
        channel.refund("ORD-RF-0002", "ORD-RF-0002R1", 500, 1000, "")
    assert (reused.value.status, reused.value.code) == (400, "INVALID_REQUEST")
    with pytest.raises(ChannelRejected) as too_much:
        channel.refund("ORD-RF-0002", "ORD-RF-0002R2", 601, 1000, "")
    assert too_much.value.code == "INVALID_REQUEST"
    with pytest.raises(ChannelRejected) as wrong_total:
        channel.refund("ORD-RF-0002", "ORD-RF-0002R3", 100, 999, "")
    assert wrong_total.value.code == "INVALID_REQUEST"
    stored = requests.get(f"{simulator}/sim/trades/ORD-RF-0002", timeout=5).json()
    assert [r["refund_fen"] for r in stored["refunds"]] == [400]


def test_unpaid_order_cannot_be_refunded_and_an_unknown_refund_queries_none(
    channel: WeChatPayChannel,
) -> None:
    channel.create_h5("ORD-RF-0003", 300, "门诊缴费")
    with pytest.raises(ChannelRejected) as refused:
        channel.refund("ORD-RF-0003", "ORD-RF-0003R1", 300, 300, "")
    assert refused.value.code == "INVALID_REQUEST"
    assert channel.refund_query("ORD-RF-0003R1") is None
    with pytest.raises(ChannelRejected) as missing:
        channel.refund("ORD-RF-NONE", "ORD-RF-NONER1", 300, 300, "")
    assert (missing.value.status, missing.value.code) == (404, "RESOURCE_NOT_EXISTS")


def test_operator_marks_a_refund_abnormal_and_it_is_notified_and_queried_so(
    channel: WeChatPayChannel, receiver: Receiver, simulator: str
) -> None:
    _paid(channel, "ORD-RF-0004", 700)
    channel.refund("ORD-RF-0004", "ORD-RF-0004R1", 700, 700, "")
    decide = f"{simulator}/sim/refunds/ORD-RF-0004R1"
    # The simulator settles a refund REFUND_SECONDS after it was asked for; hold it first.
    assert requests.post(decide, json={"status": "PROCESSING"}, timeout=5).json()["status"] == (
        "PROCESSING"
    )
    time.sleep(REFUND_SECONDS + 0.3)
    held = channel.refund_query("ORD-RF-0004R1")
    assert held is not None and held.status == "PROCESSING"
    requests.post(decide, json={"status": "ABNORMAL"}, timeout=5).raise_for_status()
    headers, body = _wait_refund_events(receiver, 1)[0]
    assert json.loads(body)["event_type"] == "REFUND.ABNORMAL"
    assert channel.parse_refund_notification(headers, body).status == "ABNORMAL"
    queried = channel.refund_query("ORD-RF-0004R1")
    assert queried is not None and queried.status == "ABNORMAL"
    assert channel.query("ORD-RF-0004").state == "SUCCESS"


def test_trade_bill_lists_the_days_payments_and_refunds_in_fen(
    channel: WeChatPayChannel, receiver: Receiver
) -> None:
    _paid(channel, "ORD-BL-0001", 1234)
    _paid(channel, "ORD-BL-0002", 5000)
    channel.refund("ORD-BL-0002", "ORD-BL-0002R1", 5000, 5000, "")
    _wait_refund_events(receiver, 1)
    rows = channel.trade_bill(clock.today().isoformat())
    payments = {r.out_trade_no: r.amount_fen for r in rows if r.kind == "PAYMENT"}
    refunds = [(r.out_trade_no, r.out_refund_no, r.amount_fen) for r in rows if r.kind == "REFUND"]
    assert payments == {"ORD-BL-0001": 1234, "ORD-BL-0002": 5000}
    assert refunds == [("ORD-BL-0002", "ORD-BL-0002R1", 5000)]
    assert all(r.transaction_id.startswith("4200") for r in rows)


def test_trade_bill_of_a_day_without_trades_is_empty_and_a_future_day_is_refused(
    channel: WeChatPayChannel,
) -> None:
    assert channel.trade_bill((clock.today() - timedelta(days=3)).isoformat()) == []
    with pytest.raises(ChannelRejected):
        channel.trade_bill((clock.today() + timedelta(days=1)).isoformat())


def test_bill_file_is_the_real_layout_with_backquoted_yuan_and_its_sha1(
    channel: WeChatPayChannel, simulator: str
) -> None:
    _paid(channel, "ORD-BL-0003", 99)
    # Without tar_type (which wechatpayv3 always sends) the file comes uncompressed.
    path = f"/v3/bill/tradebill?bill_date={clock.today().isoformat()}&bill_type=ALL"
    status, text = channel._pay._core.request(path)
    applied = json.loads(text)
    assert status == 200 and applied["hash_type"] == "SHA1"
    _, content = channel._pay.download_bill(applied["download_url"])
    lines = content.decode("utf-8").splitlines()
    assert lines[0].startswith("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号")
    assert lines[-2].startswith("总交易单数,应结订单总金额,退款总金额")
    row = lines[1].split(",")
    assert row[2] == f"`{MCHID}" and row[6] == "`ORD-BL-0003" and row[12] == "`0.99"
    unsigned = requests.get(applied["download_url"], timeout=5)
    assert unsigned.status_code == 401


def test_jsapi_pay_params_are_checked_by_the_cashier(
    channel: WeChatPayChannel, simulator: str
) -> None:
    order = channel.create_jsapi("ORD-JS-0101", 600, "挂号费", openid=openid_of(simulator))
    opened = requests.post(f"{simulator}/cashier/jsapi", json=order["pay_params"], timeout=5)
    assert opened.status_code == 200 and "/cashier/wx" in opened.json()["cashier_url"]
    forged = {**order["pay_params"], "package": "prepay_id=wxother"}
    refused = requests.post(f"{simulator}/cashier/jsapi", json=forged, timeout=5)
    assert refused.status_code == 400 and refused.json()["code"] == "SIGN_ERROR"


def test_refund_answer_signed_by_another_platform_key_is_not_trusted(
    channel: WeChatPayChannel, simulator: str, receiver: Receiver, keys: Path, tmp_path: Path
) -> None:
    _paid(channel, "ORD-RF-0005", 100)
    write_key_pair(tmp_path / "x.pem", tmp_path / "x_pub.pem")
    doubting = WeChatPayChannel(
        api_url=simulator,
        mchid=MCHID,
        appid=APPID,
        apiv3_key=APIV3_KEY,
        merchant_serial_no=SERIAL_NO,
        merchant_private_key=(keys / "merchant_private.pem").read_text(),
        public_key_id=PUBLIC_KEY_ID,
        public_key=(tmp_path / "x_pub.pem").read_text(),
        notify_url=receiver.url,
    )
    with pytest.raises(ChannelOutcomeUnknown):
        doubting.refund("ORD-RF-0005", "ORD-RF-0005R1", 100, 100, "")
    assert channel.refund_query("ORD-RF-0005R1") is not None  # it was made: query, then act
