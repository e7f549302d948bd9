"""WeChat official-account web authorization (网页授权, OAuth2 ``snsapi_base``).

The patient's page inside WeChat goes to ``authorize_url(redirect_uri, state)``; WeChat
sends the browser back to ``redirect_uri?code=..&state=..``; the cloud exchanges the code
(single use, five minutes) with ``openid(code)`` at
``{oauth_api_url}/sns/oauth2/access_token`` for the user's openid under our appid.
WeChatPayChannel exposes both as ``authorize_url`` and ``oauth_openid``.

Failures: WeChat's ``{errcode, errmsg}`` refusals raise ChannelRejected with ``code`` the
errcode as text (40029 invalid or expired code, 40163 code been used, 40125 wrong
AppSecret, 40013 unknown appid, ...); ``-1`` (system busy), 5xx and unreadable answers
raise ChannelOutcomeUnknown; a request that never connected raises ChannelUnavailable. No
message carries the AppSecret or the code: the exchange URL holds both."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import requests

from cloud_service.channels.base import ChannelError, ChannelOutcomeUnknown, ChannelRejected

DEFAULT_OAUTH_URL = "https://open.weixin.qq.com"
DEFAULT_OAUTH_API_URL = "https://api.weixin.qq.com"
MAX_CODE_LENGTH = 128  # WeChat's codes are 32 characters; anything far longer is not one
MAX_OPENID_LENGTH = 128
Timeout = float | tuple[float, float]
Call = Callable[[Callable[[], tuple[int, Any]]], tuple[int, Any]]


class WeChatOAuth:
    """Build the authorize URL and exchange codes for openids, for one official account."""

    def __init__(
        self,
        *,
        appid: str,
        app_secret: str,
        call: Call,
        oauth_url: str = DEFAULT_OAUTH_URL,
        oauth_api_url: str = DEFAULT_OAUTH_API_URL,
        timeout: Timeout = (3.0, 10.0),
    ) -> None:
        self.appid = appid
        self._secret = app_secret
        self._call = call  # maps transport failures as the channel's other calls do
        self.oauth_url = oauth_url.rstrip("/")
        self.oauth_api_url = oauth_api_url.rstrip("/")
        self.timeout = timeout

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """The snsapi_base authorize URL, parameters in WeChat's order, ``#wechat_redirect``."""
        query = urlencode(
            [
                ("appid", self.appid),
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("scope", "snsapi_base"),
                ("state", state),
            ],
            quote_via=quote,
        )
        return f"{self.oauth_url}/connect/oauth2/authorize?{query}#wechat_redirect"

    def openid(self, code: str) -> str:
        """Exchange an authorize code for the user's openid under our appid."""
        if not code:
            raise ChannelRejected(400, "41008", "missing code")
        if len(code) > MAX_CODE_LENGTH:
            raise ChannelRejected(400, "40029", "invalid code")
        status, text = self._exchange(code)
        return _openid(status, text)

    def _exchange(self, code: str) -> tuple[int, Any]:
        params = {
            "appid": self.appid,
            "secret": self._secret,
            "code": code,
            "grant_type": "authorization_code",
        }

        def get() -> tuple[int, Any]:
            answer = requests.get(
                f"{self.oauth_api_url}/sns/oauth2/access_token",
                params=params,
                timeout=self.timeout,
            )
            return answer.status_code, answer.text

        try:
            return self._call(get)
        except ChannelError as exc:
            # The library's message names the URL, secret and code included: say only what
            # happened, and drop the chained exception that holds them.
            cause = type(exc.__cause__).__name__ if exc.__cause__ else "error"
            raise type(exc)(f"WeChat OAuth exchange failed ({cause})") from None


def _openid(status: int, text: Any) -> str:
    """The openid of an exchange answer, or the exception its refusal or damage calls for."""
    if status >= 500:
        raise ChannelOutcomeUnknown(f"WeChat OAuth answered HTTP {status}")
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        raise ChannelOutcomeUnknown(f"WeChat OAuth answered HTTP {status} without JSON")
    errcode = data.get("errcode", 0)
    if errcode not in (0, None):
        message = str(data.get("errmsg", ""))
        if errcode == -1:  # system busy: the code may or may not have been spent
            raise ChannelOutcomeUnknown(f"WeChat OAuth busy: {message}")
        raise ChannelRejected(status, str(errcode), message)
    if not 200 <= status < 300:
        raise ChannelRejected(status, str(status), "WeChat OAuth refused the exchange")
    openid = data.get("openid")
    if not isinstance(openid, str) or not openid or len(openid) > MAX_OPENID_LENGTH:
        raise ChannelOutcomeUnknown("WeChat OAuth answer has no openid")
    return openid
