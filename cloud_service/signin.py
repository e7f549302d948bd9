"""Signing patients in (DESIGN §11): by an SMS code, by WeChat's or Alipay's authorization
code, or by a refresh token. Each answers a new sign-in's tokens; none trusts a phone
number, an ID number or a name on its own."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol, cast

from cloud_service import accounts
from cloud_service.channels.base import ChannelError, ChannelRejected
from cloud_service.deps import Deps
from cloud_service.errors import CloudError, Unauthorized
from cloud_service.sms_codes import check_phone
from cloud_service.tokens import Principal, RefreshReused, TokenPair
from envelope import codes

log = logging.getLogger(__name__)
APP, WECHAT, ALIPAY = "APP", "WECHAT", "ALIPAY"
GRANTS = ("sms", "wechat", "alipay", "refresh")


class WeChatOAuth(Protocol):
    """The official account's OAuth2 snsapi_base code exchange (WeChatPayChannel)."""

    def oauth_openid(self, code: str) -> str:
        """The openid of a code; ChannelRejected for a bad, used or expired one."""
        ...


class AlipayOAuth(Protocol):
    """The service window's alipay.system.oauth.token exchange (AlipayChannel)."""

    def oauth_user(self, auth_code: str) -> str:
        """The buyer id of an auth_code; ChannelRejected for a bad, used or expired one."""
        ...


@dataclass(frozen=True)
class SignedIn:
    """A new sign-in: its tokens, the user and what they have proven."""

    tokens: TokenPair
    user_id: str
    entry: str
    phone_verified: bool


identity = accounts.identity_of


def send_sign_in_code(deps: Deps, phone: str, client_address: str) -> None:
    """Text a sign-in code to the phone: the same for a phone the system has never seen."""
    accounts.send_code(deps, "phone:" + check_phone(phone), phone, client_address)


def grant(deps: Deps, body: dict[str, Any]) -> SignedIn:
    """``POST /auth/tokens``: one of the four grants; 2017 for a wrong code, 1003 for a
    refresh token that is unknown, expired or revoked."""
    kind = body.get("grant")
    if kind == "sms":
        phone = check_phone(_text(body, "phone"))
        identity(deps).codes.check("phone:" + phone, _text(body, "code"))
        return _open(deps, accounts.register_user(deps, phone), APP)
    if kind == "wechat":
        channel = cast(WeChatOAuth, deps.channels["WECHAT"])
        openid = _exchange(lambda: channel.oauth_openid(_text(body, "code")), "微信")
        return _open(deps, accounts.user_of_wechat(deps, openid), WECHAT)
    if kind == "alipay":
        alipay = cast(AlipayOAuth, deps.channels["ALIPAY"])
        buyer = _exchange(lambda: alipay.oauth_user(_text(body, "auth_code")), "支付宝")
        return _open(deps, accounts.user_of_alipay(deps, buyer), ALIPAY)
    if kind == "refresh":
        return _refresh(deps, _text(body, "refresh_token"))
    raise CloudError(codes.BODY_INVALID, "grant 须为 sms、wechat、alipay 或 refresh")


def verify_phone(deps: Deps, principal: Principal, phone: str, code: str) -> str:
    """A WeChat or Alipay user proves a phone by SMS once (before binding a record); the
    user id they are from now on is answered (the phone's user, when it had one)."""
    phone = check_phone(phone)
    identity(deps).codes.check("phone:" + phone, code)
    user_id = accounts.attach_phone(deps, principal.user_id, phone)
    if user_id != principal.user_id:
        identity(deps).tokens.move(principal.session_id, user_id)
    return user_id


def sign_out(deps: Deps, principal: Principal) -> None:
    """End this sign-in: its access and refresh tokens stop working at once."""
    identity(deps).tokens.revoke(principal.session_id)


def authenticate(deps: Deps, access_token: str) -> Principal:
    """The principal of a bearer token, or 1003."""
    principal = identity(deps).tokens.authenticate(access_token) if access_token else None
    if principal is None:
        raise Unauthorized()
    return principal


def _open(deps: Deps, user_id: str, entry: str) -> SignedIn:
    tokens = identity(deps).tokens.sign_in(user_id, entry)
    return SignedIn(tokens, user_id, entry, accounts.user_phone(deps, user_id) is not None)


def _refresh(deps: Deps, refresh_token: str) -> SignedIn:
    store = identity(deps).tokens
    try:
        refreshed = store.refresh(refresh_token) if refresh_token else None
    except RefreshReused as exc:
        log.warning("a refresh token was presented twice: its sign-in is revoked")
        raise Unauthorized("登录凭证已被重复使用，为安全起见已退出登录，请重新登录") from exc
    if refreshed is None:
        raise Unauthorized("登录已过期，请重新登录")
    pair, principal = refreshed
    verified = accounts.user_phone(deps, principal.user_id) is not None
    return SignedIn(pair, principal.user_id, principal.entry, verified)


def _exchange(action: Any, app: str) -> str:
    try:
        return str(action())
    except ChannelRejected as exc:
        raise CloudError(codes.VERIFY_CODE_INVALID, f"{app}授权已失效，请重新进入") from exc
    except ChannelError as exc:
        raise CloudError(codes.PEER_UNAVAILABLE, f"{app}暂时无法完成授权，请稍后再试") from exc


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > 512:
        raise CloudError(codes.BODY_INVALID, f"缺少或无效的字段 {name}")
    return value
