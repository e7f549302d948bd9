"""The cloud's AlipayChannel inside the Alipay app, against the simulator on a local port:
authorize_url -> the page -> auth_code -> oauth_user, each refusal a ChannelRejected with
Alipay's sub_code; create_trade -> the JS bridge's tradePay -> query SUCCESS."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from cloud_service.channels.alipay import DEFAULT_OAUTH_URL, AlipayChannel
from cloud_service.channels.base import ChannelOutcomeUnknown, ChannelRejected, ChannelUnavailable
from devstack.keys import write_key_pair
from simulators import alipay as alipay_sim
from tests.integration.cloud_payments.conftest import ALIPAY_APP_ID, SELLER_ID, serve

APP_B = "2021000000000002"
REDIRECT = "https://hospital.example/patient/alipay/entry"


@dataclass
class Window:
    """The simulator's URL and a channel for each of its two apps."""

    url: str
    channel: AlipayChannel
    other: AlipayChannel  # app B's

    def code(self, user: str = "支付宝用户A", channel: AlipayChannel | None = None) -> str:
        """Follow authorize_url like the Alipay app, pick ``user``: the auth_code."""
        page = requests.get((channel or self.channel).authorize_url(REDIRECT, "st8"), timeout=5)
        assert page.status_code == 200 and user in page.text
        fields = parse_qs(urlsplit(page.url).query)
        form = {name: values[0] for name, values in fields.items()} | {"user": user}
        answer = requests.post(
            f"{self.url}/oauth2/publicAppAuthorize.htm/confirm",
            data=form,
            allow_redirects=False,
            timeout=5,
        )
        back = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert answer.headers["Location"].startswith(REDIRECT + "?") and back["state"] == ["st8"]
        return back["auth_code"][0]


def _channel(keys: Path, private: Path, app_id: str, sim_url: str) -> AlipayChannel:
    return AlipayChannel(
        api_url=f"{sim_url}/gateway.do",
        app_id=app_id,
        app_private_key=private.read_text(),
        alipay_public_key=(keys / "ali_platform_public.pem").read_text(),
        notify_url="http://127.0.0.1:1/api/v1/notify/alipay",
        seller_id=SELLER_ID,
        timeout=5.0,
        oauth_url=f"{sim_url}/oauth2/publicAppAuthorize.htm",
        jsbridge_script_url=f"{sim_url}/jsbridge.js",
    )


@pytest.fixture
def window(pay_keys: Path, tmp_path: Path) -> Iterator[Window]:
    """The simulator (apps A and B) served on a free port, no notifications to deliver."""
    write_key_pair(tmp_path / "b_private.pem", tmp_path / "b_public.pem")
    app = alipay_sim.create_app(
        alipay_sim.Settings(
            app_id=ALIPAY_APP_ID,
            app_public_key_path=str(pay_keys / "ali_app_public.pem"),
            platform_private_key_path=str(pay_keys / "ali_platform_private.pem"),
            seller_id=SELLER_ID,
            database_url=f"sqlite:///{tmp_path / 'ali.db'}",
            start_notifier=False,
            other_apps=((APP_B, str(tmp_path / "b_public.pem")),),
        )
    )
    server, url = serve(app)
    yield Window(
        url,
        _channel(pay_keys, pay_keys / "ali_app_private.pem", ALIPAY_APP_ID, url),
        _channel(pay_keys, tmp_path / "b_private.pem", APP_B, url),
    )
    server.shutdown()


def test_authorize_url_is_alipays_auth_base_link_by_default(pay_keys: Path) -> None:
    channel = _channel(pay_keys, pay_keys / "ali_app_private.pem", ALIPAY_APP_ID, "http://x")
    channel.oauth_url = DEFAULT_OAUTH_URL
    link = urlsplit(channel.authorize_url("https://h.example/a?b=1", "s&t=2"))
    assert f"{link.scheme}://{link.netloc}{link.path}" == DEFAULT_OAUTH_URL
    assert parse_qs(link.query) == {
        "app_id": [ALIPAY_APP_ID],
        "scope": ["auth_base"],
        "redirect_uri": ["https://h.example/a?b=1"],
        "state": ["s&t=2"],
    }


def test_oauth_user_answers_the_buyers_user_id_for_a_fresh_code(window: Window) -> None:
    user_id = window.channel.oauth_user(window.code("支付宝用户B"))
    assert user_id.startswith("2088") and len(user_id) == 16
    assert window.channel.oauth_user(window.code("支付宝用户B")) == user_id
    assert window.channel.oauth_user(window.code("支付宝用户A")) != user_id


def test_replayed_or_unknown_code_is_rejected_with_code_invalid(window: Window) -> None:
    code = window.code()
    window.channel.oauth_user(code)
    for bad in (code, "0" * 32):
        with pytest.raises(ChannelRejected) as refused:
            window.channel.oauth_user(bad)
        assert refused.value.code == "isv.code-invalid"


def test_code_of_another_app_is_rejected(window: Window) -> None:
    code = window.code(channel=window.other)
    with pytest.raises(ChannelRejected) as refused:
        window.channel.oauth_user(code)
    assert refused.value.code == "isv.code-invalid"
    assert window.other.oauth_user(code).startswith("2088")  # still its own app's


@pytest.mark.parametrize("code", ["", "a b", "x" * 65, "code&grant_type=refresh_token", "码"])
def test_malformed_code_is_rejected_before_anything_is_sent(window: Window, code: str) -> None:
    with pytest.raises(ChannelRejected) as refused:
        window.channel.oauth_user(code)
    assert refused.value.code == "isv.code-invalid"


def test_unknown_app_is_rejected_with_alipays_sub_code(pay_keys: Path, window: Window) -> None:
    stranger = _channel(pay_keys, pay_keys / "ali_app_private.pem", "2021000000009999", window.url)
    with pytest.raises(ChannelRejected) as refused:
        stranger.oauth_user("0" * 32)
    assert refused.value.code == "isv.invalid-app-id"


def test_request_signed_with_another_key_is_rejected(pay_keys: Path, window: Window) -> None:
    forged = _channel(pay_keys, pay_keys / "ali_app_private.pem", APP_B, window.url)
    with pytest.raises(ChannelRejected) as refused:
        forged.oauth_user(window.code(channel=window.other))
    assert refused.value.code == "isv.invalid-signature"


def test_gateway_failure_is_outcome_unknown_and_a_dead_gateway_unavailable(
    pay_keys: Path, window: Window
) -> None:
    code = window.code()
    requests.post(f"{window.url}/sim/faults", json={"mode": "error", "count": 1}, timeout=5)
    with pytest.raises(ChannelOutcomeUnknown):
        window.channel.oauth_user(code)
    assert window.channel.oauth_user(code).startswith("2088")  # the code was not spent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    dead = _channel(pay_keys, pay_keys / "ali_app_private.pem", ALIPAY_APP_ID, closed)
    with pytest.raises(ChannelUnavailable):
        dead.oauth_user("0" * 32)


def test_create_trade_paid_through_the_bridge_is_queried_as_success(window: Window) -> None:
    buyer = window.channel.oauth_user(window.code())
    made = window.channel.create_trade("ALI-JS-0001", 2550, "门诊缴费", buyer)
    assert made["out_trade_no"] == "ALI-JS-0001" and made["trade_no"]
    assert window.channel.query("ALI-JS-0001").state == "NOTPAY"
    script = requests.get(window.channel.jsbridge_script_url, timeout=5)
    assert script.status_code == 200 and "AlipayJSBridge" in script.text
    paid = requests.post(
        f"{window.url}/jsapi/trade-pay", json={"tradeNO": made["trade_no"]}, timeout=5
    )
    assert paid.json()["resultCode"] == "9000"
    trade = window.channel.query("ALI-JS-0001")
    assert trade.paid and trade.amount_fen == 2550 and trade.transaction_id == made["trade_no"]


def test_create_trade_takes_an_open_id_as_the_buyer(window: Window) -> None:
    window.channel.oauth_user(window.code("支付宝用户C"))
    users = requests.get(f"{window.url}/sim/users", timeout=5).json()["users"]
    open_id = next(u for u in users if u["name"] == "支付宝用户C")["open_ids"][ALIPAY_APP_ID]
    made = window.channel.create_trade("ALI-JS-0002", 100, "挂号费", open_id)
    assert made["trade_no"] and window.channel.query("ALI-JS-0002").state == "NOTPAY"


def test_create_trade_for_a_buyer_of_another_app_is_rejected(window: Window) -> None:
    theirs = window.other.oauth_user(window.code("支付宝用户B", channel=window.other))
    with pytest.raises(ChannelRejected) as refused:
        window.channel.create_trade("ALI-JS-0003", 100, "挂号费", theirs)
    assert refused.value.code == "ACQ.INVALID_PARAMETER"


@pytest.mark.parametrize("amount", [0, -1, 1.5, True, "100"])
def test_create_trade_refuses_an_amount_that_is_not_positive_whole_fen(
    window: Window, amount: object
) -> None:
    with pytest.raises(ValueError):
        window.channel.create_trade("ALI-JS-0004", amount, "挂号费", "2088000000000001")  # type: ignore[arg-type]


def _forger(answer: str) -> tuple[object, str]:
    """A gateway in the middle answering ``answer`` to every request."""

    def app(environ: dict, start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "application/json;charset=utf-8")])
        return [answer.encode()]

    return serve(app)


@pytest.mark.parametrize(
    "answer",
    [
        '{"alipay_system_oauth_token_response":{"code":"10000","msg":"Success",'
        '"user_id":"2088000000000666"}}',
        '{"alipay_system_oauth_token_response":{"code":"10000","msg":"Success",'
        '"user_id":"2088000000000666"},"sign":"' + "A" * 344 + '"}',
        '{"alipay_system_oauth_token_response":{"code":"10000"},"sign":""}',
        "<html>网关错误</html>",
        "[]",
    ],
)
def test_forged_or_unsigned_success_is_never_taken_as_a_user(pay_keys: Path, answer: str) -> None:
    server, url = _forger(answer)
    try:
        channel = _channel(pay_keys, pay_keys / "ali_app_private.pem", ALIPAY_APP_ID, url)
        with pytest.raises(ChannelOutcomeUnknown):
            channel.oauth_user("0" * 32)
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_unsigned_refusal_is_believed_as_a_refusal(pay_keys: Path) -> None:
    server, url = _forger(
        '{"error_response":{"code":"40002","msg":"Invalid Arguments",'
        '"sub_code":"isv.code-invalid","sub_msg":"授权码code无效"},"sign":""}'
    )
    try:
        channel = _channel(pay_keys, pay_keys / "ali_app_private.pem", ALIPAY_APP_ID, url)
        with pytest.raises(ChannelRejected) as refused:
            channel.oauth_user("0" * 32)
        assert refused.value.code == "isv.code-invalid"
    finally:
        server.shutdown()  # type: ignore[attr-defined]


@pytest.mark.parametrize("answer", ["[]", "123", '"text"', "null"])
def test_json_that_is_no_object_is_outcome_unknown_on_every_method(
    pay_keys: Path, answer: str
) -> None:
    server, url = _forger(answer)
    try:
        channel = _channel(pay_keys, pay_keys / "ali_app_private.pem", ALIPAY_APP_ID, url)
        for call in (
            lambda: channel.query("ALI-X-1"),
            lambda: channel.create_trade("ALI-X-1", 100, "挂号费", "2088000000000001"),
        ):
            with pytest.raises(ChannelOutcomeUnknown):
                call()
    finally:
        server.shutdown()  # type: ignore[attr-defined]
