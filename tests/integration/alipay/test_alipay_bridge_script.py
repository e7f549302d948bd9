"""The simulator's /jsbridge.js run for real (Node, with a minimal DOM) against the simulator
on a local port: AlipayJSBridge.call('tradePay') shows the cashier, 确认付款 pays and calls
back 9000, 取消 calls back 6001 and pays nothing, an unknown trade calls back 4000."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from cloud_service.channels.alipay import AlipayChannel

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is not installed: apt-get install nodejs"
)

# A page inside the Alipay app, reduced to what the bridge script touches.
HARNESS = r"""
const vm = require("vm");
const [scriptUrl, tradeNO, action] = process.argv.slice(2);
const listeners = {};
function node(tag) {
  return {tag, children: [], attrs: {}, textContent: "", parentNode: null, onclick: null,
    setAttribute(k, v) { this.attrs[k] = v; },
    appendChild(c) { c.parentNode = this; this.children.push(c); return c; },
    removeChild(c) { this.children = this.children.filter((x) => x !== c); c.parentNode = null; }};
}
const body = node("body");
global.window = global;
global.document = {readyState: "complete", body, createElement: node,
  addEventListener(n, f) { (listeners[n] = listeners[n] || []).push(f); },
  createEvent() { return {initEvent(name) { this.type = name; }}; },
  dispatchEvent(e) { (listeners[e.type] || []).forEach((f) => f(e)); }};
let ready = 0;
document.addEventListener("AlipayJSBridgeReady", () => { ready += 1; });
const find = (n, text) => (n.tag === "button" && n.textContent === text) ? n
  : n.children.map((c) => find(c, text)).find(Boolean) || null;
const texts = (n) => [n.textContent, ...n.children.flatMap(texts)].filter(Boolean);
(async () => {
  vm.runInThisContext(await (await fetch(scriptUrl)).text());
  let shown = [], timer = null;
  const result = await new Promise((resolve) => {
    window.AlipayJSBridge.call("tradePay", {tradeNO}, resolve);
    timer = setInterval(() => {
      const button = find(body, action);
      if (button) { clearInterval(timer); shown = texts(body); button.onclick(); }
    }, 10);
  });
  clearInterval(timer);
  console.log(JSON.stringify({ready, shown, result, left: body.children.length}));
})();
"""


def _run(tmp_path: Path, simulator: str, trade_no: str, action: str) -> dict:
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    done = subprocess.run(
        [str(NODE), str(harness), f"{simulator}/jsbridge.js", trade_no, action],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


def _trade(channel: AlipayChannel, simulator: str, out_trade_no: str) -> str:
    """A trade.create trade for 支付宝用户A, signed in through the authorize page."""
    entry = {
        "app_id": channel.app_id,
        "scope": "auth_base",
        "redirect_uri": "https://hospital.example/entry",
        "state": "s",
        "user": "支付宝用户A",
    }
    answer = requests.post(
        f"{simulator}/oauth2/publicAppAuthorize.htm/confirm",
        data=entry,
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["auth_code"][0]
    buyer = channel.oauth_user(code)
    return channel.create_trade(out_trade_no, 1999, "检验费", buyer)["trade_no"]


def test_confirming_in_the_bridge_cashier_pays_and_calls_back_9000(
    channel: AlipayChannel, simulator: str, tmp_path: Path
) -> None:
    trade_no = _trade(channel, simulator, "ALI-BR-0001")
    seen = _run(tmp_path, simulator, trade_no, "确认付款")
    assert seen["ready"] == 1 and seen["result"]["resultCode"] == "9000"
    assert "￥19.99" in seen["shown"] and "检验费" in seen["shown"] and "取消" in seen["shown"]
    assert seen["left"] == 0  # the cashier is gone
    assert channel.query("ALI-BR-0001").paid


def test_cancelling_in_the_bridge_cashier_calls_back_6001_and_pays_nothing(
    channel: AlipayChannel, simulator: str, tmp_path: Path
) -> None:
    trade_no = _trade(channel, simulator, "ALI-BR-0002")
    seen = _run(tmp_path, simulator, trade_no, "取消")
    assert seen["result"]["resultCode"] == "6001" and seen["left"] == 0
    assert channel.query("ALI-BR-0002").state == "NOTPAY"
    again = _run(tmp_path, simulator, trade_no, "确认付款")  # a second try still can pay
    assert again["result"]["resultCode"] == "9000"
    repeat = _run(tmp_path, simulator, trade_no, "确认付款")  # but not twice
    assert repeat["result"]["resultCode"] == "4000" and "已被支付" in repeat["result"]["memo"]


def test_unknown_trade_calls_back_4000_without_a_cashier(simulator: str, tmp_path: Path) -> None:
    seen = _run(tmp_path, simulator, "2026010122001000000000000000", "确认付款")
    assert seen["result"]["resultCode"] == "4000" and seen["shown"] == []
