"""Refunds by the original route: once per order, whatever is retried or lost on the way."""

from __future__ import annotations

import dataclasses
import secrets
import time

import pytest
import requests

from cloud_service import saga
from cloud_service.channels import ChannelOutcomeUnknown
from cloud_service.saga import RetryLater
from cloud_service.saga.undo import out_refund_no_of, refund_step
from devstack.ports import free_port
from servicekit.db import transaction
from tests.integration.cloud_payments.conftest import (
    REFUND_SECONDS,
    Cloud,
    new_order,
    order_of,
    wait_for_state,
    wechat_channel,
)


def _confirmed(cloud: Cloud, channel: str, cash_fen: int) -> str:
    """An order paid through the simulator and confirmed, then put on the refund path."""
    order_no = f"RF{channel[:2]}{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, channel, cash_fen)
    if channel == "WECHAT":
        url = cloud.wechat.create_h5(order_no, cash_fen, "挂号费")["h5_url"]
    else:
        url = requests.get(cloud.alipay.create_h5(order_no, cash_fen, "挂号费")["h5_url"]).url
    requests.post(url.split("?")[0] + "/pay", timeout=5).raise_for_status()
    wait_for_state(cloud.deps, order_no, saga.CONFIRMED)
    with transaction(cloud.deps.sessions) as session:
        saga.move(session, order_no, saga.CONFIRMED, saga.REFUNDING, note="test: refund it")
    return order_no


def _wechat_refunds(cloud: Cloud, order_no: str) -> list[dict]:
    trade = requests.get(f"{cloud.wechat_sim}/sim/trades/{order_no}", timeout=5).json()
    return list(trade["refunds"])


def test_wechat_refund_waits_while_processing_then_is_recorded_once(cloud: Cloud) -> None:
    order_no = _confirmed(cloud, "WECHAT", 1500)
    with pytest.raises(RetryLater, match="processing"):
        refund_step(cloud.deps, order_of(cloud.deps, order_no))
    time.sleep(REFUND_SECONDS + 0.3)
    snapshot = order_of(cloud.deps, order_no)
    refund_step(cloud.deps, snapshot)
    refund_step(cloud.deps, snapshot)  # another worker with the same snapshot: no-op
    refund_step(cloud.deps, order_of(cloud.deps, order_no))
    assert order_of(cloud.deps, order_no).state == saga.REFUNDED
    refunds = _wechat_refunds(cloud, order_no)
    assert [(r["out_refund_no"], r["refund_fen"], r["status"]) for r in refunds] == [
        (out_refund_no_of(order_no), 1500, "SUCCESS")
    ]


def test_a_refund_whose_answer_was_lost_is_queried_not_made_again(cloud: Cloud) -> None:
    order_no = _confirmed(cloud, "WECHAT", 900)
    requests.post(
        f"{cloud.wechat_sim}/sim/faults",
        json={"mode": "drop", "seconds": 1.5, "path_prefix": "/v3/refund/domestic/refunds"},
        timeout=5,
    ).raise_for_status()
    impatient = wechat_channel(cloud.keys, cloud.wechat_sim, cloud.url, timeout=(2.0, 0.5))
    with pytest.raises(ChannelOutcomeUnknown):  # an earlier attempt: made, answer lost
        impatient.refund(order_no, out_refund_no_of(order_no), 900, 900, "")
    time.sleep(1.5 + REFUND_SECONDS)
    refund_step(cloud.deps, order_of(cloud.deps, order_no))
    assert order_of(cloud.deps, order_no).state == saga.REFUNDED
    assert len(_wechat_refunds(cloud, order_no)) == 1


def test_an_unreachable_channel_leaves_the_refund_for_later(cloud: Cloud) -> None:
    order_no = _confirmed(cloud, "WECHAT", 600)
    nobody = wechat_channel(cloud.keys, f"http://127.0.0.1:{free_port()}", cloud.url)
    with pytest.raises(RetryLater):
        refund_step(
            dataclasses.replace(cloud.deps, channels={"WECHAT": nobody}),
            order_of(cloud.deps, order_no),
        )
    assert order_of(cloud.deps, order_no).state == saga.REFUNDING
    assert _wechat_refunds(cloud, order_no) == []


def test_two_workers_running_the_alipay_refund_step_refund_once(cloud: Cloud) -> None:
    order_no = _confirmed(cloud, "ALIPAY", 2200)
    snapshot = order_of(cloud.deps, order_no)  # both workers loaded it while REFUNDING
    refund_step(cloud.deps, snapshot)
    refund_step(cloud.deps, snapshot)
    assert order_of(cloud.deps, order_no).state == saga.REFUNDED
    trade = requests.get(f"{cloud.alipay_sim}/sim/trades/{order_no}", timeout=5).json()
    assert [r["refund_fen"] for r in trade["refunds"]] == [2200]
    assert trade["refunded_fen"] == 2200


def test_zero_cash_order_is_refunded_without_a_channel(cloud: Cloud) -> None:
    order_no = f"RFZ{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, "NONE", 0, state=saga.REFUNDING)
    refund_step(cloud.deps, order_of(cloud.deps, order_no))
    assert order_of(cloud.deps, order_no).state == saga.REFUNDED


def test_an_abnormal_refund_is_left_for_a_person_not_retried(cloud: Cloud) -> None:
    order_no = _confirmed(cloud, "WECHAT", 700)
    with pytest.raises(RetryLater):
        refund_step(cloud.deps, order_of(cloud.deps, order_no))
    decide = f"{cloud.wechat_sim}/sim/refunds/{out_refund_no_of(order_no)}"
    requests.post(decide, json={"status": "ABNORMAL"}, timeout=5).raise_for_status()
    refund_step(cloud.deps, order_of(cloud.deps, order_no))
    order = order_of(cloud.deps, order_no)
    assert order.state == saga.REFUNDING and "ABNORMAL" in (order.failure or "")
    assert len(_wechat_refunds(cloud, order_no)) == 1


def test_refund_notifications_are_verified_and_acknowledged(cloud: Cloud) -> None:
    order_no = _confirmed(cloud, "WECHAT", 400)
    with pytest.raises(RetryLater):
        refund_step(cloud.deps, order_of(cloud.deps, order_no))
    deadline = time.monotonic() + 10
    states: list[tuple[str, str]] = []
    while time.monotonic() < deadline and states != [("DELIVERED", "204")] * 2:
        trade = requests.get(f"{cloud.wechat_sim}/sim/trades/{order_no}", timeout=5).json()
        states = [(n["state"], n["last_status"]) for n in trade["notifications"]]
        time.sleep(0.05)
    assert states == [("DELIVERED", "204")] * 2  # the payment's and the refund's
    path, headers, body = next(s for s in cloud.recorder.seen if s[0].endswith("/refund"))
    tampered = body.replace(b"REFUND.SUCCESS", b"REFUND.CLOSED")
    answer = requests.post(cloud.url + path, data=tampered, headers=headers, timeout=5)
    assert answer.status_code == 400 and answer.json()["code"] == "FAIL"
