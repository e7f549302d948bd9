"""The cloud's AlipayChannel (the real python-alipay-sdk) against the simulator over real
sockets: orders, the cashier, notifications, close, refund and the bill."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from cloud_service.channels.alipay import AlipayChannel
from cloud_service.channels.base import ChannelRejected, TradeNotFound
from devstack.keys import write_key_pair
from envelope import clock


def _open_and_pay(channel: AlipayChannel, out_trade_no: str, amount_fen: int) -> str:
    """Open the wap link like a browser, confirm at the cashier; the cashier URL."""
    order = channel.create_h5(out_trade_no, amount_fen, "门诊缴费")
    page = requests.get(order["h5_url"], timeout=5)
    assert page.status_code == 200
    answer = requests.post(page.url + "/pay", timeout=5)
    assert answer.status_code == 200 and answer.json()["trade_status"] == "TRADE_SUCCESS"
    return page.url


def test_wap_order_paid_at_cashier_is_notified_and_then_queried_as_success(
    channel: AlipayChannel, receiver, simulator: str
) -> None:
    order = channel.create_h5("ALI-H5-0001", 12345, "挂号费")
    assert order["h5_url"].startswith(simulator + "/gateway.do?")
    with pytest.raises(TradeNotFound):
        channel.query("ALI-H5-0001")  # nothing exists until the payer opens the link

    page = requests.get(order["h5_url"], timeout=5)
    assert page.url == simulator + "/cashier/ALI-H5-0001"
    assert "确认支付" in page.text and "放弃" in page.text and "123.45" in page.text
    assert channel.query("ALI-H5-0001").state == "NOTPAY"

    paid = requests.post(page.url + "/pay", timeout=5).json()
    assert paid["trade_status"] == "TRADE_SUCCESS"
    assert paid["return_url"].startswith("http://127.0.0.1:1/paid?")
    receiver.wait_for(1)
    notice = channel.parse_notification(receiver.received[0])
    assert (notice.out_trade_no, notice.state, notice.amount_fen) == (
        "ALI-H5-0001",
        "SUCCESS",
        12345,
    )
    assert notice.notify_id and notice.mchid == "2088000000000001"

    queried = channel.query("ALI-H5-0001")
    assert queried.paid and queried.amount_fen == 12345
    assert queried.transaction_id == notice.transaction_id
    assert queried.success_time is not None and queried.success_time.endswith("+08:00")


def test_abandoned_cashier_leaves_the_trade_waiting(channel: AlipayChannel) -> None:
    order = channel.create_h5("ALI-H5-0002", 100, "挂号费")
    page = requests.get(order["h5_url"], timeout=5)
    assert requests.post(page.url + "/abandon", timeout=5).json()["trade_status"] == (
        "WAIT_BUYER_PAY"
    )
    assert channel.query("ALI-H5-0002").state == "NOTPAY"


def test_request_signed_with_a_wrong_app_key_is_refused_with_invalid_signature(
    channel_factory: Callable[..., AlipayChannel], simulator: str, receiver, tmp_path: Path
) -> None:
    write_key_pair(tmp_path / "other.pem", tmp_path / "other_public.pem")
    impostor = channel_factory(
        simulator + "/gateway.do",
        receiver.url,
        app_private_key=(tmp_path / "other.pem").read_text(),
    )
    with pytest.raises(ChannelRejected) as refused:
        impostor.query("ALI-ANY")
    assert refused.value.code == "isv.invalid-signature"


def test_reused_out_trade_no_with_another_amount_is_refused(channel: AlipayChannel) -> None:
    first = requests.get(channel.create_h5("ALI-RE-0001", 5000, "检查费")["h5_url"], timeout=5)
    again = requests.get(channel.create_h5("ALI-RE-0001", 5000, "检查费")["h5_url"], timeout=5)
    assert first.status_code == again.status_code == 200  # a retry is fine
    assert first.url == again.url
    link = channel.create_h5("ALI-RE-0001", 5001, "检查费")["h5_url"]
    page = requests.get(link, timeout=5)
    assert page.status_code == 400 and "ACQ.CONTEXT_INCONSISTENT" in page.text


def test_closed_trade_is_queried_as_closed_and_cannot_be_paid(channel: AlipayChannel) -> None:
    cashier = requests.get(channel.create_h5("ALI-CL-0001", 800, "挂号费")["h5_url"], timeout=5)
    channel.close("ALI-CL-0001")
    assert channel.query("ALI-CL-0001").state == "CLOSED"
    refused = requests.post(cashier.url + "/pay", timeout=5)
    assert refused.status_code == 400 and refused.json()["sub_code"] == "ACQ.TRADE_HAS_CLOSE"
    with pytest.raises(TradeNotFound):
        channel.close("ALI-NEVER-OPENED")


def test_refund_twice_with_the_same_out_request_no_refunds_once(
    channel: AlipayChannel, receiver, simulator: str
) -> None:
    _open_and_pay(channel, "ALI-RF-0001", 3000)
    first = channel.refund("ALI-RF-0001", "RF-1", 1000, "退号")
    again = channel.refund("ALI-RF-0001", "RF-1", 1000, "退号")
    assert (first["fund_change"], again["fund_change"]) == (True, False)
    assert first["refunded_fen"] == again["refunded_fen"] == 1000
    assert channel.refund_query("ALI-RF-0001", "RF-1") == 1000
    assert channel.refund_query("ALI-RF-0001", "RF-2") is None
    assert channel.query("ALI-RF-0001").state == "SUCCESS"

    stored = requests.get(simulator + "/sim/trades/ALI-RF-0001", timeout=5).json()
    assert stored["refunded_fen"] == 1000 and len(stored["refunds"]) == 1
    receiver.wait_for(2)
    refund_notice = channel.parse_notification(receiver.received[1])
    assert (refund_notice.refund_fen, refund_notice.out_biz_no) == (1000, "RF-1")

    channel.refund("ALI-RF-0001", "RF-2", 2000, "退费")
    assert channel.query("ALI-RF-0001").state == "REFUND"  # closed by the full refund


def test_retries_keep_the_notify_id_and_stop_only_on_exactly_success(
    channel: AlipayChannel, receiver, simulator: str
) -> None:
    receiver.answers = ["fail", "success\n", "SUCCESS", "success"]
    _open_and_pay(channel, "ALI-RT-0001", 500)
    receiver.wait_for(4)
    notify_ids = {form["notify_id"] for form in receiver.received}
    assert len(notify_ids) == 1
    for form in receiver.received:
        assert channel.parse_notification(form).paid

    time.sleep(0.8)
    assert len(receiver.received) == 4
    stored = requests.get(simulator + "/sim/trades/ALI-RT-0001", timeout=5).json()
    [note] = stored["notifications"]
    assert (note["state"], note["attempts"], note["notify_id"]) == (
        "DELIVERED",
        4,
        notify_ids.pop(),
    )


def test_bill_of_the_day_lists_the_paid_trade_in_yuan(channel: AlipayChannel) -> None:
    _open_and_pay(channel, "ALI-BL-0001", 2468)
    url = channel.bill_url(clock.today().isoformat())
    bill = requests.get(url, timeout=5)
    assert bill.status_code == 200
    [row] = [line for line in bill.text.splitlines() if "ALI-BL-0001" in line]
    assert "24.68" in row and "门诊缴费" in row


def test_trade_bill_reads_the_simulators_file_with_its_account_and_totals(
    channel: AlipayChannel,
) -> None:
    _open_and_pay(channel, "ALI-BL-0002", 1357)
    rows = channel.trade_bill(clock.today().isoformat())
    assert [(r.kind, r.amount_fen) for r in rows if r.out_trade_no == "ALI-BL-0002"] == [
        ("PAYMENT", 1357)
    ]
