"""The cloud's WeChat channel against the simulator on a local port: the official-account
sign-in (authorize_url, oauth_openid and each refusal as ChannelRejected with WeChat's
errcode, transport failures as the other calls map them) and JSAPI pay through the bridge
stand-in, queried SUCCESS afterwards."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import Flask

from cloud_service.channels import ChannelOutcomeUnknown, ChannelRejected, ChannelUnavailable
from cloud_service.channels.wechat import WeChatPayChannel
from devstack.ports import free_port
from simulators import wechatpay as wechat_sim
from tests.integration.cloud_payments.conftest import (
    APIV3_KEY,
    APPID,
    MCHID,
    PUBLIC_KEY_ID,
    SERIAL_NO,
    serve,
)

APP_SECRET = "pay0app0secret0000000000000000001"
OTHER_APPID, OTHER_SECRET = "wx0000000000000009", "pay0other0secret000000000000009"
CALLBACK = "http://127.0.0.1:8000/h5/wechat/callback"


@dataclass
class Sim:
    """The simulator's URL and app."""

    url: str
    app: Flask


@pytest.fixture
def sim(pay_keys: Path, tmp_path: Path) -> Iterator[Sim]:
    """The WeChat simulator (our account and another) served on a free port."""
    app = wechat_sim.create_app(
        wechat_sim.Settings(
            mchid=MCHID,
            appid=APPID,
            apiv3_key=APIV3_KEY,
            merchant_serial_no=SERIAL_NO,
            merchant_public_key_path=str(pay_keys / "wx_merchant_public.pem"),
            platform_private_key_path=str(pay_keys / "wx_platform_private.pem"),
            public_key_id=PUBLIC_KEY_ID,
            database_url=f"sqlite:///{tmp_path / 'wx.db'}",
            notify_schedule=(0.3, 0.3, 0.3),
            app_secret=APP_SECRET,
            other_apps=((OTHER_APPID, OTHER_SECRET),),
        )
    )
    server, url = serve(app)
    yield Sim(url, app)
    server.shutdown()
    app.extensions["wechatpay_sim"].notifier.stop()


def _channel(pay_keys: Path, sim: Sim, **kw: Any) -> WeChatPayChannel:
    """The channel as build_deps makes it (another appid or secret when given), OAuth at
    the simulator."""
    options = {
        "appid": APPID,
        "app_secret": APP_SECRET,
        "oauth_url": sim.url,
        "oauth_api_url": sim.url,
        **kw,
    }
    return WeChatPayChannel(
        api_url=sim.url,
        mchid=MCHID,
        apiv3_key=APIV3_KEY,
        merchant_serial_no=SERIAL_NO,
        merchant_private_key=(pay_keys / "wx_merchant_private.pem").read_text(),
        public_key_id=PUBLIC_KEY_ID,
        public_key=(pay_keys / "wx_platform_public.pem").read_text(),
        notify_url="http://127.0.0.1:9/api/v1/notify/wechat",
        **options,
    )


@pytest.fixture
def channel(pay_keys: Path, sim: Sim) -> WeChatPayChannel:
    """Our channel, with the right AppSecret."""
    return _channel(pay_keys, sim)


def _code(channel: WeChatPayChannel, user: str = "微信用户A", state: str = "st-1") -> str:
    """Follow the channel's authorize URL as the browser does (no fragment), pick a user."""
    url = channel.authorize_url(CALLBACK, state).split("#", 1)[0]
    answer = requests.get(url, params={"user": user}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    query = parse_qs(back.query)
    assert query["state"] == [state]
    return query["code"][0]


def _listed_openid(sim: Sim, user: str) -> str:
    users = requests.get(f"{sim.url}/sim/oauth/users", timeout=5).json()["users"]
    return str(next(u["openid"] for u in users if u["name"] == user))


def test_the_authorize_url_leads_to_a_code_that_gives_the_users_openid(
    channel: WeChatPayChannel, sim: Sim
) -> None:
    openid = channel.oauth_openid(_code(channel, "微信用户B"))
    assert openid == _listed_openid(sim, "微信用户B")
    assert channel.oauth_openid(_code(channel, "微信用户B")) == openid


def _refusal(call: Any) -> str:
    with pytest.raises(ChannelRejected) as refused:
        call()
    return str(refused.value.code)


def test_a_replayed_unknown_or_foreign_code_is_rejected_with_wechats_errcode(
    channel: WeChatPayChannel, pay_keys: Path, sim: Sim
) -> None:
    code = _code(channel)
    channel.oauth_openid(code)
    assert _refusal(lambda: channel.oauth_openid(code)) == "40163"
    assert _refusal(lambda: channel.oauth_openid("0" * 32)) == "40029"
    theirs = _channel(pay_keys, sim, appid=OTHER_APPID, app_secret=OTHER_SECRET)
    foreign = _code(theirs)
    assert _refusal(lambda: channel.oauth_openid(foreign)) == "40029"
    assert _refusal(lambda: channel.oauth_openid("")) == "41008"


def test_a_wrong_app_secret_or_unknown_appid_is_rejected_and_spends_no_code(
    channel: WeChatPayChannel, pay_keys: Path, sim: Sim
) -> None:
    code = _code(channel)
    wrong_secret = _channel(pay_keys, sim, app_secret="guessed-secret")
    assert _refusal(lambda: wrong_secret.oauth_openid(code)) == "40125"
    borrowed = _channel(pay_keys, sim, app_secret=OTHER_SECRET)
    assert _refusal(lambda: borrowed.oauth_openid(code)) == "40125"
    unknown = _channel(pay_keys, sim, appid="wx00000000000000ff")
    assert _refusal(lambda: unknown.oauth_openid(code)) == "40013"
    assert channel.oauth_openid(code) == _listed_openid(sim, "微信用户A")


def test_transport_failures_map_as_the_channels_other_calls_and_hide_the_secret(
    pay_keys: Path, sim: Sim, channel: WeChatPayChannel
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    unreachable = _channel(pay_keys, sim, oauth_api_url=closed)
    with pytest.raises(ChannelUnavailable) as never:
        unreachable.oauth_openid("CODE0SECRET0000000000000000000001")
    assert APP_SECRET not in str(never.value) and "CODE0SECRET" not in str(never.value)
    assert never.value.__cause__ is None and never.value.__suppress_context__
    requests.post(f"{sim.url}/sim/faults", json={"mode": "error", "path_prefix": "/sns/"})
    code = _code(channel)
    with pytest.raises(ChannelOutcomeUnknown):
        channel.oauth_openid(code)  # errcode -1, system busy
    requests.post(
        f"{sim.url}/sim/faults", json={"mode": "drop", "seconds": 1.5, "path_prefix": "/sns/"}
    )
    hasty = _channel(pay_keys, sim, timeout=(2.0, 0.5))
    with pytest.raises(ChannelOutcomeUnknown) as late:
        hasty.oauth_openid(code)
    assert APP_SECRET not in str(late.value)
    assert _refusal(lambda: channel.oauth_openid(code)) == "40163"  # the late one spent it


def _verifies(pay_keys: Path, params: dict[str, str]) -> bool:
    key = serialization.load_pem_public_key((pay_keys / "wx_merchant_public.pem").read_bytes())
    assert isinstance(key, rsa.RSAPublicKey)
    message = "".join(f"{params[k]}\n" for k in ("appId", "timeStamp", "nonceStr", "package"))
    key.verify(
        base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return True


def test_create_jsapi_then_the_bridge_confirm_then_query_is_success(
    channel: WeChatPayChannel, pay_keys: Path, sim: Sim
) -> None:
    openid = channel.oauth_openid(_code(channel))
    order = channel.create_jsapi("ORD-JSAPI-0001", 1990, "挂号费", openid)
    params = order["pay_params"]
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["appId"] == APPID and params["signType"] == "RSA"
    assert params["package"] == f"prepay_id={order['prepay_id']}"
    assert _verifies(pay_keys, params)
    assert channel.query("ORD-JSAPI-0001").state == "NOTPAY"
    paid = requests.post(f"{sim.url}/jsapi/confirm", json=params, timeout=5)
    assert paid.json()["err_msg"] == "get_brand_wcpay_request:ok"
    queried = channel.query("ORD-JSAPI-0001")
    assert queried.paid and queried.amount_fen == 1990 and queried.transaction_id


def test_create_jsapi_for_another_accounts_openid_is_rejected(
    channel: WeChatPayChannel, pay_keys: Path, sim: Sim
) -> None:
    theirs = _channel(pay_keys, sim, appid=OTHER_APPID, app_secret=OTHER_SECRET)
    foreign_openid = theirs.oauth_openid(_code(theirs))
    with pytest.raises(ChannelRejected) as refused:
        channel.create_jsapi("ORD-JSAPI-0002", 100, "挂号费", foreign_openid)
    assert (refused.value.code, refused.value.message) == ("PARAM_ERROR", "appid和openid不匹配")
