"""The service-window authorization (用户信息授权): the authorize page where a person or a
test picks a test Alipay user, the auth_code it redirects with, alipay.system.oauth.token
exchanging the code for the user's ids, and the buyer check of alipay.trade.create.

An auth_code is single use, valid ``auth_code_seconds`` (300) and good only for the app it
was issued to; every refusal of it is Alipay's 40002 isv.code-invalid."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, redirect, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from servicekit.db import transaction
from simulators.alipay.admin import take_fault
from simulators.alipay.identities import open_id_of, user_id_of
from simulators.alipay.models import AuthCode, Grant
from simulators.alipay.state import Simulator, current
from simulators.alipay.trades import TradeError, now_text

bp = Blueprint("oauth", __name__, url_prefix="/oauth2", template_folder="templates")
SCOPES = ("auth_base", "auth_user")
PAGE_FAULT = "oauth2.publicAppAuthorize"
ACCESS_SECONDS = 1296000  # 15 days, what Alipay gives a service-window access_token
REFRESH_SECONDS = 2592000  # 30 days
MAX_STATE = 100  # Alipay's limit on state, in bytes


class PageRefused(Exception):
    """An authorize request the page refuses, with the reason the person reads."""


def _checked(args: Any, sim: Simulator) -> dict[str, str]:
    """app_id, scope, redirect_uri and state of an authorize request, checked."""
    fields = {name: str(args.get(name, "")) for name in ("app_id", "scope", "redirect_uri")}
    fields["state"] = str(args.get("state", ""))
    if not sim.platform.knows(fields["app_id"]):
        raise PageRefused("应用不存在或未上线（app_id无效），请联系商户")
    scopes = [s for s in fields["scope"].split(",") if s]
    if not scopes or any(s not in SCOPES for s in scopes):
        raise PageRefused("授权范围（scope）无效，只支持auth_base或auth_user")
    target = urlsplit(fields["redirect_uri"])
    if target.scheme not in ("http", "https") or not target.netloc:
        raise PageRefused("回调地址（redirect_uri）无效")
    if len(fields["state"].encode()) > MAX_STATE:
        raise PageRefused("参数state过长，不能超过100字节")
    return fields


def _refused(reason: str, status: int = 400) -> ResponseReturnValue:
    error = {"code": "40002", "msg": "Invalid Arguments", "sub_code": "", "sub_msg": reason}
    return render_template("alipay_error.html", error=error, title="授权失败"), status


def _fault_answer(sim: Simulator) -> ResponseReturnValue | None:
    fault = take_fault(sim, PAGE_FAULT)
    if fault is not None and fault.mode == "error":
        return _refused("系统繁忙，请稍后再试", 503)
    if fault is not None:
        time.sleep(fault.seconds)
    return None


@bp.get("/publicAppAuthorize.htm")
def authorize() -> ResponseReturnValue:
    """The phone-sized page: one button per test user, each confirming as that user."""
    sim = current()
    faulted = _fault_answer(sim)
    if faulted is not None:
        return faulted
    try:
        fields = _checked(request.args, sim)
    except PageRefused as exc:
        return _refused(str(exc))
    users = [{"name": name, "user_id": user_id_of(name)} for name in sim.settings.users]
    return render_template("alipay_authorize.html", fields=fields, users=users)


@bp.post("/publicAppAuthorize.htm/confirm")
def confirm() -> ResponseReturnValue:
    """The person picked ``user``: a fresh auth_code and the redirect to redirect_uri."""
    sim = current()
    faulted = _fault_answer(sim)
    if faulted is not None:
        return faulted
    try:
        fields = _checked(request.form, sim)
    except PageRefused as exc:
        return _refused(str(exc))
    user = request.form.get("user", "")
    if user not in sim.settings.users:
        return _refused("没有这个测试用户")
    code = secrets.token_hex(16)
    with transaction(sim.factory) as session:
        session.add(
            AuthCode(
                code=code,
                app_id=fields["app_id"],
                user_name=user,
                scope=fields["scope"],
                expires_at=time.time() + sim.settings.auth_code_seconds,
                used=False,
            )
        )
    back = {"app_id": fields["app_id"], "source": "alipay_wallet", "scope": fields["scope"]}
    back.update(auth_code=code, state=fields["state"])
    separator = "&" if "?" in fields["redirect_uri"] else "?"
    return redirect(fields["redirect_uri"] + separator + urlencode(back), code=302)


def _code_refused(reason: str) -> TradeError:
    return TradeError("isv.code-invalid", reason, code="40002")


def _take_code(session: Session, app_id: str, code: str) -> AuthCode:
    """The code's row, marked used in one guarded update so two exchanges cannot both win."""
    row = session.get(AuthCode, code) if code else None
    if row is None or row.app_id != app_id:
        raise _code_refused("授权码code无效")
    if row.used:
        raise _code_refused("授权码code已被使用")
    if row.expires_at <= time.time():
        raise _code_refused("授权码code已过期")
    taken = session.execute(
        update(AuthCode).where(AuthCode.code == code, AuthCode.used.is_(False)).values(used=True)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise _code_refused("授权码code已被使用")
    return row


def _grant(session: Session, app_id: str, user_name: str) -> Grant:
    """The user's grant to the app, created at the first authorization."""
    user_id = user_id_of(user_name)
    grant = session.get(Grant, (app_id, user_id))
    if grant is None:
        grant = Grant(
            app_id=app_id,
            user_id=user_id,
            open_id=open_id_of(app_id, user_id),
            user_name=user_name,
            granted_at=now_text(),
        )
        session.add(grant)
    return grant


def oauth_token(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> dict[str, str]:
    """alipay.system.oauth.token with grant_type authorization_code (common parameters
    grant_type and code, outside biz_content, as Alipay takes them)."""
    grant_type = params.get("grant_type", "")
    if grant_type == "refresh_token":
        raise TradeError("isv.refresh-token-invalid", "刷新令牌refresh_token无效", code="40002")
    if grant_type != "authorization_code":
        raise TradeError("isv.grant-type-invalid", "grant_type参数不正确", code="40002")
    with transaction(sim.factory) as session:
        row = _take_code(session, params["app_id"], params.get("code", ""))
        grant = _grant(session, row.app_id, row.user_name)
        return {
            "user_id": grant.user_id,
            "open_id": grant.open_id,
            "access_token": "authusrB" + secrets.token_hex(16),
            "expires_in": str(ACCESS_SECONDS),
            "refresh_token": "authusrB" + secrets.token_hex(16),
            "re_expires_in": str(REFRESH_SECONDS),
            "auth_start": now_text(),
        }


def _buyer_refused(name: str) -> TradeError:
    return TradeError("ACQ.INVALID_PARAMETER", f"参数{name}无效，买家不存在或未授权本应用")


def buyer_of(session: Session, app_id: str, biz: dict[str, Any]) -> Grant:
    """The buyer of an alipay.trade.create: buyer_id or buyer_open_id, which must be an id
    this app was issued by alipay.system.oauth.token."""
    buyer_id, open_id = str(biz.get("buyer_id") or ""), str(biz.get("buyer_open_id") or "")
    if not buyer_id and not open_id:
        raise TradeError("ACQ.INVALID_PARAMETER", "buyer_id和buyer_open_id不能同时为空")
    query = select(Grant).where(Grant.app_id == app_id)
    if open_id:
        grant = session.scalars(query.where(Grant.open_id == open_id)).one_or_none()
        if grant is None or (buyer_id and grant.user_id != buyer_id):
            raise _buyer_refused("buyer_open_id")
        return grant
    grant = session.scalars(query.where(Grant.user_id == buyer_id)).one_or_none()
    if grant is None:
        raise _buyer_refused("buyer_id")
    return grant
