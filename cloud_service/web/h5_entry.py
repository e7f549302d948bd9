"""The WeChat and Alipay entries of the patient pages (DESIGN §11): the server sends the
browser to the app's authorize page with a random ``state`` kept in a short-lived HttpOnly
cookie, and the callback lets the page exchange the code only when the state comes back
unchanged (a forged or replayed callback is refused in Chinese)."""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from envelope import codes

bp = Blueprint("h5_entry", __name__, url_prefix="/h5/entry", template_folder="templates")
STATE_COOKIE = "h5_oauth_state"
STATE_SECONDS = 300  # the authorize codes themselves live 300 s
# app name -> (channel key in deps.channels, the callback's code parameter, the grant)
APPS = {"wechat": ("WECHAT", "code", "wechat"), "alipay": ("ALIPAY", "auth_code", "alipay")}
APP_NAMES = {"wechat": "微信", "alipay": "支付宝"}
_CODE = re.compile(r"[A-Za-z0-9_\-.]{1,128}")
_STATE = re.compile(r"[A-Za-z0-9_\-]{16,64}")


def _channel(app: str) -> Any:
    return current_app.extensions["cloud_deps"].channels[APPS[app][0]]


def _secure_cookies() -> bool:
    """Secure unless development settings turn it off (TLS ends at the load balancer, so
    the request itself may look like plain http)."""
    settings = current_app.extensions.get("cloud_settings")
    console = getattr(settings, "console", None)
    return bool(getattr(console, "cookie_secure", True)) or request.is_secure


def _refuse(message: str, status: int = 400) -> tuple[str, int]:
    """The sign-in page with the refusal in Chinese, its result code beside it."""
    return (
        render_template(
            "h5/index.html",
            title="首页",
            page="index",
            entry_error=f"{message}（{codes.VERIFY_CODE_INVALID}）",
        ),
        status,
    )


@bp.get("/<any(wechat, alipay):app>")
def start(app: str) -> BaseResponse:
    """Send the browser to the app's authorize page with a fresh state bound to a cookie."""
    state = secrets.token_urlsafe(24)
    callback = url_for("h5_entry.callback", app=app, _external=True)
    answer = redirect(_channel(app).authorize_url(callback, state), code=302)
    answer.set_cookie(
        STATE_COOKIE,
        f"{app}.{state}",
        max_age=STATE_SECONDS,
        path="/h5/entry",
        httponly=True,
        secure=_secure_cookies(),
        samesite="Lax",  # the authorize page comes back by a top-level GET
    )
    return answer


@bp.get("/<any(wechat, alipay):app>/callback")
def callback(app: str) -> tuple[str, int] | str:
    """The app's redirect back: the state must be this browser's; the page then trades the
    code for tokens at POST /api/v1/auth/tokens."""
    _, code_param, grant = APPS[app]
    state = request.args.get("state", "")
    kept = request.cookies.get(STATE_COOKIE, "")
    expected = kept.split(".", 1)[1] if kept.startswith(f"{app}.") else ""
    if not (expected and _STATE.fullmatch(state) and hmac.compare_digest(state, expected)):
        return _refuse(f"{APP_NAMES[app]}登录请求已失效或不是从本页发起的，请重新登录")
    code = request.args.get(code_param, "")
    if not _CODE.fullmatch(code):
        return _refuse(f"没有收到{APP_NAMES[app]}的授权，请重新登录")
    page = render_template(
        "h5/index.html", title="首页", page="index", entry_grant={"grant": grant, code_param: code}
    )
    return _forget_state(page)


def _forget_state(page: str) -> Any:
    """The answer with the state cookie cleared: a state is good for one callback."""
    answer = current_app.make_response(page)
    answer.delete_cookie(STATE_COOKIE, path="/h5/entry")
    return answer
