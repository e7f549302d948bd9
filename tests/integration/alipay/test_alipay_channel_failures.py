"""How AlipayChannel reports what went wrong: refused connections, lost answers, bad
answers, and notifications that are not what they claim."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from cloud_service.channels.alipay import AlipayChannel
from cloud_service.channels.base import (
    ChannelOutcomeUnknown,
    ChannelUnavailable,
    NotificationRejected,
)
from devstack.ports import free_port
from simulators.alipay.signing import load_platform, sign_notification


def _paid_notice(channel: AlipayChannel, receiver) -> dict[str, str]:
    order = channel.create_h5("ALI-NT-0001", 4200, "药费")
    page = requests.get(order["h5_url"], timeout=5)
    requests.post(page.url + "/pay", timeout=5)
    receiver.wait_for(1)
    return dict(receiver.received[0])


def test_tampered_notification_is_rejected(channel: AlipayChannel, receiver) -> None:
    form = _paid_notice(channel, receiver)
    assert channel.parse_notification(form).amount_fen == 4200
    with pytest.raises(NotificationRejected):
        channel.parse_notification({**form, "total_amount": "0.01"})
    with pytest.raises(NotificationRejected):
        channel.parse_notification({k: v for k, v in form.items() if k != "sign"})
    with pytest.raises(NotificationRejected):
        channel.parse_notification({**form, "sign_type": "RSA"})


def test_notification_for_another_app_or_seller_is_rejected(
    channel: AlipayChannel, receiver, keys: Path
) -> None:
    form = _paid_notice(channel, receiver)
    platform = load_platform(
        (keys / "platform_private.pem").read_bytes(),
        (keys / "app_public.pem").read_bytes(),
        "2021000000000001",
        "2088000000000001",
    )
    for field, value in (("app_id", "2021000000000999"), ("seller_id", "2088000000000999")):
        unsigned = {k: v for k, v in form.items() if k not in ("sign", "sign_type")}
        forged = sign_notification(platform, {**unsigned, field: value})
        with pytest.raises(NotificationRejected):
            channel.parse_notification(forged)


def test_refused_connection_is_unavailable(
    channel_factory: Callable[..., AlipayChannel], receiver
) -> None:
    dead = channel_factory(f"http://127.0.0.1:{free_port()}/gateway.do", receiver.url)
    with pytest.raises(ChannelUnavailable):
        dead.query("ALI-ANY")


def test_slow_answer_is_an_unknown_outcome(
    channel_factory: Callable[..., AlipayChannel], simulator: str, receiver
) -> None:
    fault = {"mode": "delay", "seconds": 1.5, "method": "alipay.trade.create"}
    requests.post(simulator + "/sim/faults", json=fault, timeout=5)
    impatient = channel_factory(simulator + "/gateway.do", receiver.url, timeout=0.5)
    with pytest.raises(ChannelOutcomeUnknown):
        impatient.create_trade("ALI-SLOW-0001", 100, "挂号费", "2088000000000101")


def test_system_error_and_unsigned_answers_are_unknown_outcomes(
    channel: AlipayChannel,
    channel_factory: Callable[..., AlipayChannel],
    simulator: str,
    receiver,
) -> None:
    requests.post(simulator + "/sim/faults", json={"mode": "error"}, timeout=5)
    with pytest.raises(ChannelOutcomeUnknown):
        channel.query("ALI-ANY")
    stranger = channel_factory(simulator + "/gateway.do", receiver.url, app_id="2021000000000999")
    with pytest.raises(ChannelOutcomeUnknown):  # invalid-app-id answers carry no sign
        stranger.query("ALI-ANY")
