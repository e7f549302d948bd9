"""WeChat web authorization (网页授权), as open.weixin.qq.com and api.weixin.qq.com serve it.

``GET /connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=`` is
a page listing the test WeChat users; picking one (the page's buttons, or a test's
``POST /connect/oauth2/authorize/confirm`` with ``user``, or ``user`` on the GET) redirects
to ``redirect_uri?code=..&state=..``. ``GET /sns/oauth2/access_token?appid=&secret=&code=
&grant_type=authorization_code`` exchanges the code once, within its lifetime, for the
appid it was issued to: {access_token, expires_in, refresh_token, openid, scope}, or
WeChat's {errcode, errmsg} (HTTP 200, as WeChat answers)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request
from sqlalchemy import update
from werkzeug.wrappers import Response as BaseResponse

from servicekit.db import transaction
from simulators.wechatpay.models import OAuthCode
from simulators.wechatpay.signing import nonce
from simulators.wechatpay.state import current, take_fault

bp = Blueprint("oauth", __name__, template_folder="templates")
SCOPES = ("snsapi_base", "snsapi_userinfo")
TOKEN_SECONDS = 7200  # a web-authorization access_token lives two hours
MAX_STATE_BYTES = 128


class PageRefusal(Exception):
    """The authorize page cannot go on: WeChat shows an error page with a code."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class AuthRequest:
    """A checked authorize request."""

    appid: str
    redirect_uri: str
    scope: str
    state: str


@bp.errorhandler(PageRefusal)
def refused_page(exc: PageRefusal) -> tuple[str, int]:
    """WeChat's error page, in Chinese, the code beside the message."""
    return render_template("wechatpay_oauth.html", error=exc, users=(), auth=None), exc.status


@bp.before_request
def inject_fault() -> BaseResponse | tuple[str, int] | None:
    """Faults injected at /sim/faults (path_prefix /connect/ or /sns/) apply here too."""
    fault = take_fault(request.path)
    g.drop_seconds = 0.0
    if fault is None:
        return None
    if fault.mode == "error":
        if request.path.startswith("/sns/"):
            return _errcode(-1, "system error")
        raise PageRefusal(-1, "系统繁忙，请稍后再试", status=500)
    if fault.mode == "delay":
        time.sleep(fault.seconds)
    if fault.mode == "drop":
        g.drop_seconds = fault.seconds
    return None


@bp.after_request
def late_reply(response: Response) -> Response:
    """The "drop" fault: the code is spent, the answer comes too late for the caller."""
    if getattr(g, "drop_seconds", 0.0):
        time.sleep(g.drop_seconds)
    return response


def _auth_request(source: Mapping[str, Any]) -> AuthRequest:
    """The authorize parameters checked as WeChat checks them, or PageRefusal."""
    appid = str(source.get("appid") or "")
    redirect_uri = str(source.get("redirect_uri") or "")
    scope = str(source.get("scope") or "")
    state = str(source.get("state") or "")
    if not appid:
        raise PageRefusal(10012, "appid 不能为空")
    if appid not in current().directory.apps:
        raise PageRefusal(40013, "appid 无效，请检查公众号的 AppID")
    if not redirect_uri:
        raise PageRefusal(10011, "redirect_uri 不能为空")
    if urlsplit(redirect_uri).scheme not in ("http", "https") or not urlsplit(redirect_uri).netloc:
        raise PageRefusal(10003, "redirect_uri 参数错误")
    if source.get("response_type") != "code":
        raise PageRefusal(10008, "response_type 必须为 code")
    if not scope:
        raise PageRefusal(10010, "scope 不能为空")
    if scope not in SCOPES:
        raise PageRefusal(10005, "此公众号并没有这些 scope 的权限")
    if len(state.encode()) > MAX_STATE_BYTES:
        raise PageRefusal(10008, "state 参数过长（最多128字节）")
    return AuthRequest(appid, redirect_uri, scope, state)


def _with_code(redirect_uri: str, code: str, state: str) -> str:
    """redirect_uri with code and state added to its query (before any fragment)."""
    parts = urlsplit(redirect_uri)
    added = urlencode({"code": code, "state": state})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _issue(auth: AuthRequest, user: str) -> BaseResponse:
    """A fresh code for (appid, user), and the redirect that hands it to the page."""
    sim = current()
    if user not in sim.directory.users:
        raise PageRefusal(10008, "没有这个测试微信用户")
    code = nonce(32)
    with transaction(sim.factory) as session:
        session.add(
            OAuthCode(
                code=code,
                appid=auth.appid,
                user=user,
                scope=auth.scope,
                expires_at=time.time() + sim.settings.oauth_code_seconds,
                used=0,
            )
        )
    return redirect(_with_code(auth.redirect_uri, code, auth.state), code=302)


@bp.get("/connect/oauth2/authorize")
def authorize() -> BaseResponse | str:
    """The page where a person picks which test WeChat user they are (or ``user`` given)."""
    auth = _auth_request(request.args)
    if request.args.get("user"):
        return _issue(auth, str(request.args["user"]))
    return render_template(
        "wechatpay_oauth.html", error=None, auth=auth, users=current().directory.users
    )


@bp.post("/connect/oauth2/authorize/confirm")
def confirm() -> BaseResponse:
    """The picked user: answered with the redirect to redirect_uri?code=..&state=.."""
    source = {**request.args.to_dict(), **request.form.to_dict()}
    return _issue(_auth_request(source), str(source.get("user") or ""))


def _errcode(errcode: int, errmsg: str) -> Response:
    """WeChat's refusal: HTTP 200 with {errcode, errmsg}, the errmsg tagged with a rid."""
    rid = "-".join(secrets.token_hex(4) for _ in range(3))
    return jsonify(errcode=errcode, errmsg=f"{errmsg}, rid: {rid}")


def _refusal(args: Mapping[str, str]) -> tuple[int, str] | None:
    """The first thing wrong with an exchange's appid, secret, code or grant_type."""
    directory = current().directory
    appid, secret = args.get("appid", ""), args.get("secret", "")
    if not appid:
        return 41002, "appid missing"
    if appid not in directory.apps:
        return 40013, "invalid appid"
    if not secret:
        return 41004, "appsecret missing"
    if not directory.secret_matches(appid, secret):
        return 40125, "invalid appsecret"
    if not args.get("code"):
        return 41008, "missing code"
    if args.get("grant_type") != "authorization_code":
        return 40002, "invalid grant_type"
    return None


def _spend(appid: str, code: str) -> OAuthCode | int:
    """Spend the code once: the row, or the errcode (40029 unknown, expired or another
    appid's; 40163 already used). The guarded update lets one of two racing calls win."""
    with transaction(current().factory) as session:
        row = session.get(OAuthCode, code)
        if row is None or row.appid != appid or row.expires_at < time.time():
            return 40029
        spent = session.execute(
            update(OAuthCode)
            .where(OAuthCode.code == code, OAuthCode.used == 0)
            .values(used=1)
            .execution_options(synchronize_session=False)
        )
        if not getattr(spent, "rowcount", 0):
            return 40163
        session.expunge(row)
        return row


@bp.get("/sns/oauth2/access_token")
def access_token() -> Response:
    """Exchange a code for the user's openid under this appid (and a token, unused here)."""
    refusal = _refusal(request.args)
    if refusal is not None:
        return _errcode(*refusal)
    appid = request.args["appid"]
    spent = _spend(appid, request.args["code"])
    if isinstance(spent, int):
        return _errcode(spent, "invalid code" if spent == 40029 else "code been used")
    return jsonify(
        access_token=secrets.token_urlsafe(48),
        expires_in=TOKEN_SECONDS,
        refresh_token=secrets.token_urlsafe(48),
        openid=current().directory.openid(appid, spent.user),
        scope=spent.scope,
    )
