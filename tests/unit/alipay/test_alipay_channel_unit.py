"""AlipayChannel's pure parts: yuan at the edge, states, answer codes, the timestamp."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cloud_service.channels.alipay import AlipayChannel, _answer, _state, to_fen, to_yuan
from cloud_service.channels.base import ChannelOutcomeUnknown, ChannelRejected, TradeNotFound
from envelope import clock


def _channel(keys: Path) -> AlipayChannel:
    return AlipayChannel(
        api_url="http://127.0.0.1:8600/gateway.do",
        app_id="2021000000000001",
        app_private_key=(keys / "app_private.pem").read_text(),
        alipay_public_key=(keys / "platform_public.pem").read_text(),
        notify_url="http://127.0.0.1:8000/notify/alipay",
    )


def test_amounts_are_fen_inside_and_two_decimal_yuan_on_the_wire() -> None:
    assert [to_yuan(v) for v in (1, 10, 12345, 100)] == ["0.01", "0.10", "123.45", "1.00"]
    assert [to_fen(v) for v in ("0.01", "123.45", "88", "0.5", "0")] == [1, 12345, 8800, 50, 0]
    assert to_fen("-11.00", signed=True) == -1100  # a refund row of the bill


@pytest.mark.parametrize(
    "text",
    ["11.000001", "1e1", "-1", "11.", " 11", "11 ", "NaN", "Infinity", "11,00", "１１", ".5",
     "011.00", "+11", "", None, 11, 11.0, "11\n"],
)  # fmt: skip
def test_an_amount_that_is_not_exactly_yuan_is_refused_never_rounded(text: object) -> None:
    with pytest.raises(ChannelOutcomeUnknown, match="not readable"):
        to_fen(text)


def test_trade_status_maps_to_the_channel_states() -> None:
    assert _state({"trade_status": "TRADE_SUCCESS"}) == "SUCCESS"
    assert _state({"trade_status": "TRADE_FINISHED"}) == "SUCCESS"
    assert _state({"trade_status": "WAIT_BUYER_PAY"}) == "NOTPAY"
    assert _state({"trade_status": "TRADE_CLOSED"}) == "CLOSED"
    paid_then_refunded = {"trade_status": "TRADE_CLOSED", "send_pay_date": "2026-01-01 10:00:00"}
    assert _state(paid_then_refunded) == "REFUND"


def test_answer_codes_map_to_outcomes() -> None:
    assert _answer({"code": "10000", "x": "1"})["x"] == "1"
    with pytest.raises(TradeNotFound):
        _answer({"code": "40004", "sub_code": "ACQ.TRADE_NOT_EXIST"})
    with pytest.raises(ChannelRejected) as refused:
        _answer(
            {"code": "40004", "sub_code": "ACQ.TRADE_STATUS_ERROR", "sub_msg": "交易状态不合法"}
        )
    assert refused.value.code == "ACQ.TRADE_STATUS_ERROR"
    for unknown in ({"code": "20000"}, {"code": "40004", "sub_code": "ACQ.SYSTEM_ERROR"}):
        with pytest.raises(ChannelOutcomeUnknown):
            _answer(unknown)


def test_wap_link_is_signed_for_the_configured_gateway_in_beijing_time(keys: Path) -> None:
    link = _channel(keys).create_h5("W-1", 12345, "挂号费")["h5_url"]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://127.0.0.1:8600/gateway.do"
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert params["method"] == "alipay.trade.wap.pay" and params["sign_type"] == "RSA2"
    assert '"total_amount":"123.45"' in params["biz_content"]
    stamped = datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S")
    drift = clock.now().replace(tzinfo=None) - stamped
    assert abs(drift.total_seconds()) < 60
