"""The bridge script itself, run by Node with a minimal DOM against the simulator on a
port: the sheet shows the amount, 确认支付 pays (callback :ok, notification sent), 取消
leaves the order unpaid (:cancel), and a forged paySign ends in :fail with the reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from cloud_service.channels.wechat import WeChatPayChannel
from tests.integration.wechatpay.conftest import Receiver, openid_of

NODE = shutil.which("node")
HARNESS = Path(__file__).with_name("bridge_harness.js")
pytestmark = pytest.mark.skipif(
    NODE is None, reason="Node.js is not installed: apt-get install nodejs"
)


def _run_bridge(simulator: str, params: dict[str, str], press: str) -> list[dict[str, Any]]:
    """The harness's lines: what the sheet showed, then the callback's result."""
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(HARNESS), f"{simulator}/jsbridge.js", json.dumps(params), press],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def _order(channel: WeChatPayChannel, simulator: str, no: str) -> dict[str, str]:
    order = channel.create_jsapi(no, 4321, "门诊缴费", openid_of(simulator))
    params: dict[str, str] = order["pay_params"]
    return params


def _state(simulator: str, no: str) -> str:
    return str(requests.get(f"{simulator}/sim/trades/{no}", timeout=5).json()["trade_state"])


def test_confirm_in_the_sheet_pays_and_the_callback_gets_ok(
    channel: WeChatPayChannel, simulator: str, receiver: Receiver
) -> None:
    shown, called = _run_bridge(simulator, _order(channel, simulator, "ORD-BR-0001"), "确认支付")
    assert "￥43.21" in shown["shown"] and "门诊缴费" in shown["shown"]
    assert called == {"result": {"err_msg": "get_brand_wcpay_request:ok"}, "sheets": 0}
    receiver.wait_for(1)
    assert channel.parse_notification(*receiver.received[0]).paid
    assert _state(simulator, "ORD-BR-0001") == "SUCCESS"


def test_cancel_in_the_sheet_leaves_the_order_unpaid(
    channel: WeChatPayChannel, simulator: str
) -> None:
    _, called = _run_bridge(simulator, _order(channel, simulator, "ORD-BR-0002"), "取消")
    assert called["result"] == {"err_msg": "get_brand_wcpay_request:cancel"}
    assert _state(simulator, "ORD-BR-0002") == "NOTPAY"


def test_a_forged_pay_sign_ends_in_fail_with_the_reason_and_nothing_paid(
    channel: WeChatPayChannel, simulator: str
) -> None:
    params = {**_order(channel, simulator, "ORD-BR-0003"), "timeStamp": "1700000000"}
    _, called = _run_bridge(simulator, params, "确认支付")
    assert called["result"] == {
        "err_msg": "get_brand_wcpay_request:fail",
        "err_desc": "支付验证签名失败",
    }
    assert _state(simulator, "ORD-BR-0003") == "NOTPAY"
