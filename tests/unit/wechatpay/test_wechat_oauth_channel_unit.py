"""The channel's official-account sign-in without a network: the authorize URL exactly as
DESIGN 11 writes it, and how each exchange answer maps onto the channel exceptions."""

from __future__ import annotations

from typing import Any

import pytest

from cloud_service.channels import ChannelOutcomeUnknown, ChannelRejected
from cloud_service.channels.wechat_oauth import WeChatOAuth, _openid


def _never_called(action: Any) -> tuple[int, Any]:
    raise AssertionError("no request should be sent")


def _oauth(**kw: Any) -> WeChatOAuth:
    return WeChatOAuth(appid="wx0000000000000001", app_secret="s3cret", call=_never_called, **kw)


def test_authorize_url_is_the_snsapi_base_url_in_wechats_order_with_the_fragment() -> None:
    url = _oauth(oauth_url="https://open.weixin.qq.com/").authorize_url(
        "https://pay.hospital.example/h5/cb?from=menu&x=a b", "st 1"
    )
    assert url == (
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx0000000000000001"
        "&redirect_uri=https%3A%2F%2Fpay.hospital.example%2Fh5%2Fcb%3Ffrom%3Dmenu%26x%3Da%20b"
        "&response_type=code&scope=snsapi_base&state=st%201#wechat_redirect"
    )
    assert "s3cret" not in url


def test_an_empty_or_absurdly_long_code_is_refused_without_asking_wechat() -> None:
    with pytest.raises(ChannelRejected) as empty:
        _oauth().openid("")
    assert empty.value.code == "41008"
    with pytest.raises(ChannelRejected) as long:
        _oauth().openid("c" * 129)
    assert long.value.code == "40029"


@pytest.mark.parametrize(
    ("status", "text", "raised", "code"),
    [
        (200, '{"errcode":40029,"errmsg":"invalid code, rid: 1"}', ChannelRejected, "40029"),
        (200, '{"errcode":40163,"errmsg":"code been used"}', ChannelRejected, "40163"),
        (200, '{"errcode":40125,"errmsg":"invalid appsecret"}', ChannelRejected, "40125"),
        (200, '{"errcode":-1,"errmsg":"system error"}', ChannelOutcomeUnknown, None),
        (502, "<html>bad gateway</html>", ChannelOutcomeUnknown, None),
        (200, "<html>not json</html>", ChannelOutcomeUnknown, None),
        (200, "[1, 2]", ChannelOutcomeUnknown, None),
        (200, '{"access_token":"t","expires_in":7200}', ChannelOutcomeUnknown, None),
        (200, '{"openid": 12345}', ChannelOutcomeUnknown, None),
        (200, '{"openid": "' + "o" * 129 + '"}', ChannelOutcomeUnknown, None),
        (403, '{"message":"forbidden"}', ChannelRejected, "403"),
    ],
)
def test_exchange_answers_map_to_refusals_or_unknown_outcomes(
    status: int, text: str, raised: type[Exception], code: str | None
) -> None:
    with pytest.raises(raised) as caught:
        _openid(status, text)
    if code is not None:
        assert isinstance(caught.value, ChannelRejected) and caught.value.code == code


def test_a_good_answer_gives_the_openid() -> None:
    text = (
        '{"access_token":"t","expires_in":7200,"refresh_token":"r",'
        '"openid":"oAbc","scope":"snsapi_base"}'
    )
    assert _openid(200, text) == "oAbc"
