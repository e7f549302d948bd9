"""WeChatPayChannel's mapping of failures and its notification checks, without a network."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from cloud_service.channels import (
    ChannelOutcomeUnknown,
    ChannelRejected,
    ChannelUnavailable,
    NotificationRejected,
    TradeNotFound,
)
from cloud_service.channels.wechat import WeChatPayChannel, _answer, _call
from simulators.wechatpay.signing import Platform, seal_resource, signed_headers


def _raise(exc: Exception):  # type: ignore[no-untyped-def]
    def action():  # type: ignore[no-untyped-def]
        raise exc

    return action


def test_connect_failures_are_unavailable_and_read_failures_unknown() -> None:
    never_connected = NewConnectionError(None, "refused")  # type: ignore[arg-type]
    refused = requests.ConnectionError(MaxRetryError(None, "/", never_connected))  # type: ignore[arg-type]
    with pytest.raises(ChannelUnavailable):
        _call(_raise(refused))
    with pytest.raises(ChannelUnavailable):
        _call(_raise(requests.ConnectTimeout()))
    with pytest.raises(ChannelOutcomeUnknown):
        _call(_raise(requests.ReadTimeout()))
    with pytest.raises(ChannelOutcomeUnknown):
        _call(_raise(requests.ConnectionError(ProtocolError("Connection aborted."))))
    with pytest.raises(ChannelOutcomeUnknown):
        _call(_raise(Exception("failed to verify the signature")))


def test_answers_map_to_refusals_and_unknown_outcomes() -> None:
    assert _answer(200, '{"h5_url":"x"}') == {"h5_url": "x"}
    assert _answer(204, b"") == {}
    with pytest.raises(TradeNotFound):
        _answer(404, '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}')
    with pytest.raises(ChannelRejected) as refused:
        _answer(400, '{"code":"PARAM_ERROR","message":"bad"}')
    assert refused.value.code == "PARAM_ERROR"
    with pytest.raises(ChannelOutcomeUnknown):
        _answer(500, '{"code":"SYSTEM_ERROR","message":"busy"}')
    with pytest.raises(ChannelOutcomeUnknown):
        _answer(502, "<html>bad gateway</html>")


@pytest.fixture
def channel(keys: Path, platform: Platform) -> WeChatPayChannel:
    return WeChatPayChannel(
        api_url="http://127.0.0.1:9",
        mchid="1900000001",
        appid="wx0000000000000001",
        apiv3_key=platform.apiv3_key,
        merchant_serial_no="UNITSERIAL",
        merchant_private_key=(keys / "merchant_private.pem").read_text(),
        public_key_id=platform.public_key_id,
        public_key=(keys / "platform_public.pem").read_text(),
        notify_url="http://cloud/n",
    )


def _notification(platform: Platform, **resource: object) -> tuple[dict[str, str], bytes]:
    transaction = {
        "mchid": "1900000001",
        "appid": "wx0000000000000001",
        "out_trade_no": "ORD1",
        "trade_state": "SUCCESS",
        "transaction_id": "4200000001",
        "amount": {"total": 100, "currency": "CNY"},
        **resource,
    }
    body = json.dumps(
        {
            "id": "e1",
            "event_type": "TRANSACTION.SUCCESS",
            "resource_type": "encrypt-resource",
            "resource": seal_resource(platform.apiv3_key, transaction, "transaction"),
        }
    ).encode()
    return signed_headers(platform, body), body


def test_genuine_notification_is_read(channel: WeChatPayChannel, platform: Platform) -> None:
    trade = channel.parse_notification(*_notification(platform))
    assert (trade.out_trade_no, trade.amount_fen, trade.paid) == ("ORD1", 100, True)


def test_notification_for_another_merchant_is_rejected(
    channel: WeChatPayChannel, platform: Platform
) -> None:
    with pytest.raises(NotificationRejected, match="another merchant"):
        channel.parse_notification(*_notification(platform, mchid="1900000002"))
    with pytest.raises(NotificationRejected, match="another merchant"):
        channel.parse_notification(*_notification(platform, appid="wxother"))


def test_stale_or_unsigned_notification_is_rejected(
    channel: WeChatPayChannel, platform: Platform
) -> None:
    headers, body = _notification(platform)
    with pytest.raises(NotificationRejected, match="5 minutes"):
        channel.parse_notification(
            {**headers, "Wechatpay-Timestamp": str(int(time.time()) - 600)}, body
        )
    with pytest.raises(NotificationRejected):
        channel.parse_notification({}, body)
    with pytest.raises(NotificationRejected):
        channel.parse_notification({**headers, "Wechatpay-Signature": "AAAA"}, body)


@pytest.mark.parametrize(
    "amount",
    [
        {"total": 100.5, "currency": "CNY"},  # int() would have made it 100
        {"total": "100", "currency": "CNY"},
        {"total": True, "currency": "CNY"},
        {"total": -100, "currency": "CNY"},
        {"currency": "CNY"},
        {"total": 100, "currency": "USD"},
        {"total": 100},
        "100",
    ],
)
def test_notification_amount_not_whole_fen_in_cny_is_rejected(
    channel: WeChatPayChannel, platform: Platform, amount: object
) -> None:
    with pytest.raises(NotificationRejected, match="amount"):
        channel.parse_notification(*_notification(platform, amount=amount))


def test_notification_of_an_unpaid_state_is_read_as_not_paid(
    channel: WeChatPayChannel, platform: Platform
) -> None:
    trade = channel.parse_notification(
        *_notification(platform, trade_state="NOTPAY", transaction_id="")
    )
    assert (trade.state, trade.paid, trade.amount_fen) == ("NOTPAY", False, 100)


def test_paid_notification_without_out_trade_no_or_transaction_id_is_rejected(
    channel: WeChatPayChannel, platform: Platform
) -> None:
    with pytest.raises(NotificationRejected, match="out_trade_no"):
        channel.parse_notification(*_notification(platform, out_trade_no=""))
    with pytest.raises(NotificationRejected, match="transaction_id"):
        channel.parse_notification(*_notification(platform, transaction_id=""))


def test_unpaid_query_answer_without_an_amount_reads_zero_but_a_paid_one_must_have_it() -> None:
    from cloud_service.channels.wechat import _trade

    assert _trade({"out_trade_no": "ORD1", "trade_state": "NOTPAY"}).amount_fen == 0
    with pytest.raises(ChannelOutcomeUnknown, match=r"amount\.total"):
        _trade({"out_trade_no": "ORD1", "trade_state": "SUCCESS"})
    with pytest.raises(ChannelOutcomeUnknown, match=r"amount\.total"):
        _trade({"trade_state": "NOTPAY", "amount": {"total": 1.5}})
