"""Who is signed in to the operations console: the session cookie, CSRF, sign-in, sign-out.

The cookie ``console_session`` holds only a random id; the session itself lives in Redis
(cloud_service.console.sessions), so signing out ends it at once. Every POST carries a
CSRF token: the session's once signed in, and before that a token bound to the browser by
the ``console_login`` cookie (a signed double submit), so sign-in cannot be forged either."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from limits.errors import StorageError
from limits.storage import RedisStorage
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from cloud_service.api.context import deps
from cloud_service.console.sessions import SessionPolicy, SessionStore, StaffSession
from cloud_service.console.signin import Attempt, Outcome, SignInGuard, SignInPolicy, name_key
from cloud_service.console.staff import StaffUser
from cloud_service.reconcile import record_operation
from cloud_service.settings import ConsoleSettings
from envelope import codes
from servicekit import redis_client

log = logging.getLogger(__name__)
COOKIE = "console_session"
LOGIN_COOKIE = "console_login"
COOKIE_PATH = "/console"
WRONG = "用户名或密码错误"
BUSY = "登录尝试过于频繁，请稍后再试"
STALE = "页面已过期，请刷新后重试"
UNAVAILABLE = "控制台暂时不可用，请稍后再试"
_NO_SESSION = object()


@dataclass(frozen=True)
class ConsoleAuth:
    """Everything the console's guard needs, built once by the app factory."""

    users: dict[str, StaffUser]
    sessions: SessionStore
    guard: SignInGuard
    cookie_secure: bool
    lockout_minutes: int


def install(
    app: Flask, users: dict[str, StaffUser], config: ConsoleSettings, redis_url: str
) -> None:
    """Build the console's sessions and sign-in guard on the cloud's Redis."""
    redis = redis_client.connect(redis_url)
    storage = RedisStorage(
        redis_url, connection_pool=redis.connection_pool, key_prefix="console-limits",
        wrap_exceptions=True,
    )  # fmt: skip
    policy = SignInPolicy(
        config.lockout_failures, config.lockout_seconds, config.signin_per_address
    )
    app.extensions["console_auth"] = ConsoleAuth(
        users=users,
        sessions=SessionStore(
            redis, SessionPolicy(config.session_idle_seconds, config.session_max_seconds)
        ),
        guard=SignInGuard(users, storage, policy),
        cookie_secure=config.cookie_secure,
        lockout_minutes=max(1, -(-config.lockout_seconds // 60)),
    )
    app.jinja_env.globals["console_csrf"] = csrf_token


def _auth() -> ConsoleAuth:
    auth: ConsoleAuth = current_app.extensions["console_auth"]
    return auth


def current_session() -> StaffSession | None:
    """The live session of this request's cookie (looked up once per request)."""
    found = g.get("console_session", _NO_SESSION)
    if found is _NO_SESSION:
        found = _auth().sessions.find(request.cookies.get(COOKIE, ""))
        g.console_session = found
    return found if isinstance(found, StaffSession) else None


def current_staff() -> StaffUser | None:
    """The signed-in console user, still listed in CONSOLE_USERS (else None)."""
    session = current_session()
    return _auth().users.get(session.staff) if session is not None else None


def csrf_token() -> str:
    """The session's token that every console form and fetch must send back."""
    session = current_session()
    return session.csrf if session is not None else ""


def _csrf_given() -> str:
    return request.form.get("csrf") or request.headers.get("X-CSRF-Token", "")


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def require_role(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only staff with at least ``role``; others go to sign-in (or get 403)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                staff = current_staff()
            except RedisError:
                log.exception("console sessions unavailable")
                return _refusal(codes.PEER_UNAVAILABLE, UNAVAILABLE, 503)
            if staff is None:
                return redirect(url_for("console.login", next=request.path))
            if not staff.may(role):
                return render_template("console/denied.html", staff=staff, role=role), 403
            if request.method == "POST" and not _same(_csrf_given(), csrf_token()):
                return _refusal(codes.BAD_FIELD, STALE, 400)
            return view(staff, *args, **kwargs)

        return guarded

    return decorate


def _refusal(code: str, message: str, status: int) -> Any:
    """A refusal with its result code: JSON for the page's scripts, else a page."""
    if request.is_json or "X-CSRF-Token" in request.headers:
        return jsonify(result_code=code, result_msg=message), status
    return render_template("console/missing.html", error=f"{message}（{code}）"), status


def sign_in() -> Any:
    """The sign-in page (GET) and a sign-in attempt (POST)."""
    if request.method == "GET":
        return _login_page("", 200)
    if not _same(request.form.get("csrf", ""), _login_csrf(request.cookies.get(LOGIN_COOKIE))):
        return _login_page(f"{STALE}（{codes.BAD_FIELD}）", 400)
    name = request.form.get("name", "")
    try:
        attempt = _auth().guard.attempt(
            name, request.form.get("password", ""), request.remote_addr or ""
        )
        if attempt.outcome is Outcome.SIGNED_IN and attempt.staff is not None:
            return _start_session(attempt.staff)
    except (RedisError, StorageError):
        log.exception("console sign-in unavailable")
        return _login_page(f"{UNAVAILABLE}（{codes.PEER_UNAVAILABLE}）", 503)
    return _refused(name, attempt)


def _refused(name: str, attempt: Attempt) -> Any:
    """The one answer of a refused attempt, whether or not the name exists."""
    actor = name if name in _auth().users else f"unknown:{name_key(name)[:12]}"
    if attempt.outcome is Outcome.BUSY:
        log.warning("console sign-in refused: too many attempts from one address")
        return _login_page(f"{BUSY}（{codes.RATE_LIMITED}）", 429)
    if attempt.outcome is Outcome.LOCKED:
        minutes = _auth().lockout_minutes
        if attempt.just_locked:
            _audit(actor, "console_sign_in_locked", {"minutes": minutes})
        else:
            log.warning("console sign-in refused: %s is locked", actor)
        message = f"登录失败次数过多，请{minutes}分钟后再试"
        return _login_page(f"{message}（{codes.RATE_LIMITED}）", 429)
    _audit(actor, "console_sign_in_failed", {})
    return _login_page(f"{WRONG}（{codes.BAD_SIGNATURE}）", 401)


def _start_session(staff: StaffUser) -> BaseResponse:
    """A new session for a new sign-in; whatever session the browser held is forgotten."""
    auth = _auth()
    auth.sessions.end(request.cookies.get(COOKIE, ""))
    session = auth.sessions.start(staff.name)
    _audit(staff.name, "console_sign_in", {"role": staff.role})
    target = request.args.get("next", "")
    safe = target.startswith("/console/") and not target.startswith("//")
    response = redirect(target if safe else url_for("console.orders"))
    response.set_cookie(
        COOKIE, session.session_id, path=COOKIE_PATH, secure=auth.cookie_secure,
        httponly=True, samesite="Lax",
    )  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


def sign_out() -> Any:
    """End the session at once (the form's CSRF token is required)."""
    try:
        session = current_session()
    except RedisError:
        log.exception("console sessions unavailable")
        return _refusal(codes.PEER_UNAVAILABLE, UNAVAILABLE, 503)
    if session is not None:
        if not _same(_csrf_given(), session.csrf):
            return _refusal(codes.BAD_FIELD, STALE, 400)
        _auth().sessions.end(session.session_id)
        _audit(session.staff, "console_sign_out", {})
    response = redirect(url_for("console.login"))
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _login_csrf(token: str | None) -> str:
    """The form token that goes with the browser's ``console_login`` cookie."""
    if not token:
        return ""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"console-login\0" + token.encode(), hashlib.sha256).hexdigest()


def _login_page(error: str, status: int) -> Any:
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not (16 <= len(token) <= 64):
        token = secrets.token_urlsafe(32)
    page = render_template("console/login.html", error=error, login_csrf=_login_csrf(token))
    response = current_app.make_response((page, status))
    response.set_cookie(
        LOGIN_COOKIE, token, path=COOKIE_PATH, secure=_auth().cookie_secure, httponly=True,
        samesite="Lax",
    )  # fmt: skip
    return response


def _audit(actor: str, action: str, detail: dict[str, Any]) -> None:
    """One audit row and one log line per sign-in event; never a password."""
    log.info("console %s: %s", action, actor)
    try:
        record_operation(deps(), actor=actor, action=action, target="console", detail=detail)
    except SQLAlchemyError:
        log.exception("console %s not audited: the ledger did not answer", action)
