"""Staff sign-in attacked through Flask's test client, with real Redis: dead sessions after
sign-out, idle and absolute expiry, lockout of known and unknown names, the per-address
limit, CSRF on sign-in and sign-out, the cookie's flags and session fixation."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug import security
from werkzeug.security import generate_password_hash

from cloud_service import create_app
from cloud_service.console import staff
from cloud_service.reconcile import recent_operations
from cloud_service.settings import Settings
from tests.cloud_env import cloud_env

PASSWORD = "pw-console-right"
LOCKED = "登录失败次数过多，请15分钟后再试"
WRONG = "用户名或密码错误"
AppFactory = Callable[..., Flask]


class Clock:
    """A clock the test moves by hand (the session store reads it)."""

    def __init__(self) -> None:
        self.at = time.time()

    def __call__(self) -> float:
        return self.at


@pytest.fixture()
def make_app(tmp_path: Path, redis_url: str) -> Iterator[AppFactory]:
    """Build the cloud app from deploy/dev.env with some settings changed or removed."""
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    base = cloud_env(
        tmp_path, redis_url, CONSOLE_USERS=f"ops:OPERATOR:{hashed},viewer:VIEWER:{hashed}"
    )

    def build(**changes: str | None) -> Flask:
        env = dict(base)
        for name, value in changes.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return create_app(Settings.from_env(env))

    yield build


@pytest.fixture()
def app(make_app: AppFactory) -> Flask:
    """The app with the development settings (Secure off, the default limits)."""
    return make_app()


def login_csrf(client: FlaskClient) -> str:
    """The sign-in form's token (the page sets the cookie it is bound to)."""
    page = client.get("/console/login").get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the sign-in form carries a CSRF token"
    return found.group(1)


def try_sign_in(client: FlaskClient, name: str, password: str, address: str = "127.0.0.1") -> Any:
    """POST the sign-in form as a browser does (with the form's token)."""
    form = {"name": name, "password": password, "csrf": login_csrf(client)}
    return client.post("/console/login", data=form, environ_base={"REMOTE_ADDR": address})


def session_csrf(client: FlaskClient) -> str:
    """The signed-in session's CSRF token, as the pages carry it."""
    page = client.get("/console/reconciliation").get_data(as_text=True)
    found = re.search(r'<meta name="csrf" content="([^"]+)"', page)
    assert found, "a signed-in page carries the session's token"
    return found.group(1)


def session_id(client: FlaskClient) -> str:
    cookie = client.get_cookie("console_session", path="/console")
    return cookie.value if cookie is not None else ""


def signed_in(app: Flask, name: str = "ops") -> FlaskClient:
    client = app.test_client()
    assert try_sign_in(client, name, PASSWORD).status_code == 302
    return client


def with_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser that presents a stolen or forged session cookie."""
    client = app.test_client()
    client.set_cookie("console_session", value, path="/console")
    return client


def shown(page: Any) -> str:
    """The page without its per-request token, to compare two answers."""
    return re.sub(r'value="[^"]*"', 'value=""', page.get_data(as_text=True))


def test_a_signed_out_cookie_is_refused_at_once(app: Flask) -> None:
    client = signed_in(app)
    stolen = session_id(client)
    assert with_cookie(app, stolen).get("/console/orders").status_code == 200
    out = client.post("/console/logout", data={"csrf": session_csrf(client)})
    assert out.status_code == 302
    replayed = with_cookie(app, stolen).get("/console/orders")
    assert replayed.status_code == 302 and "/console/login" in replayed.headers["Location"]


def test_a_forged_session_cookie_signs_nobody_in(app: Flask) -> None:
    for forged in ("x", "A" * 43, "A" * 300, ""):
        assert with_cookie(app, forged).get("/console/orders").status_code == 302


def test_an_idle_session_dies_after_the_idle_time_and_use_keeps_it_alive(app: Flask) -> None:
    clock = Clock()
    app.extensions["console_auth"].sessions.now = clock
    client = signed_in(app)
    clock.at += 1799
    assert client.get("/console/orders").status_code == 200  # used: the idle time restarts
    clock.at += 1799
    assert client.get("/console/orders").status_code == 200
    clock.at += 1800
    assert client.get("/console/orders").status_code == 302
    clock.at -= 1800  # the clock going back does not revive it: it was forgotten
    assert client.get("/console/orders").status_code == 302


def test_a_session_in_constant_use_still_dies_twelve_hours_after_sign_in(app: Flask) -> None:
    clock = Clock()
    app.extensions["console_auth"].sessions.now = clock
    client = signed_in(app)
    started = clock.at
    while clock.at + 1500 < started + 43200:
        clock.at += 1500
        assert client.get("/console/orders").status_code == 200
    clock.at = started + 43200
    assert client.get("/console/orders").status_code == 302


def test_the_sixth_try_is_refused_even_with_the_right_password_until_the_lock_ends(
    make_app: AppFactory,
) -> None:
    app = make_app(CONSOLE_LOCKOUT_SECONDS="2")
    client = app.test_client()
    for _ in range(4):
        assert try_sign_in(client, "ops", "guess").status_code == 401
    fifth = try_sign_in(client, "ops", "guess")
    assert fifth.status_code == 429 and "登录失败次数过多，请1分钟后再试" in shown(fifth)
    sixth = try_sign_in(client, "ops", PASSWORD)
    assert sixth.status_code == 429 and session_id(client) == ""
    assert "1008" in shown(sixth)
    time.sleep(2.2)
    assert try_sign_in(client, "ops", PASSWORD).status_code == 302


def test_five_failures_lock_the_name_for_fifteen_minutes(app: Flask, redis_url: str) -> None:
    client = app.test_client()
    for _ in range(5):
        try_sign_in(client, "ops", "guess")
    answer = try_sign_in(client, "ops", PASSWORD)
    assert answer.status_code == 429 and LOCKED in shown(answer)
    db = redis.Redis.from_url(redis_url)
    (lock,) = list(db.scan_iter(match="console-limits:console-signin-lock/*"))
    assert 890 <= int(db.ttl(lock)) <= 900
    other = try_sign_in(app.test_client(), "viewer", PASSWORD)  # another name is not locked
    assert other.status_code == 302


def test_an_unknown_name_is_locked_the_same_way_and_answered_like_a_wrong_password(
    app: Flask,
) -> None:
    known, unknown = app.test_client(), app.test_client()
    for attempt in range(7):
        real = try_sign_in(known, "ops", f"guess-{attempt}")
        probe = try_sign_in(unknown, "nobody-here", f"guess-{attempt}")
        assert (real.status_code, shown(real)) == (probe.status_code, shown(probe))
    assert real.status_code == 429 and LOCKED in shown(probe)
    first = try_sign_in(app.test_client(), "someone-else", "guess")
    assert first.status_code == 401 and WRONG in shown(first) and "1003" in shown(first)


def test_an_unknown_name_costs_the_same_password_hash_as_a_wrong_password(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return security.check_password_hash(pwhash, password)

    monkeypatch.setattr(staff, "check_password_hash", spy)
    try_sign_in(app.test_client(), "ops", "guess")
    assert checked == ["pbkdf2:sha256:1000"]
    try_sign_in(app.test_client(), "nobody-here", "guess")
    try_sign_in(app.test_client(), "", "")
    assert checked == ["pbkdf2:sha256:1000"] * 3  # the same method and cost every time


def test_the_address_limit_holds_across_different_names(make_app: AppFactory) -> None:
    app = make_app(CONSOLE_SIGNIN_PER_ADDRESS="3")
    client = app.test_client()
    for name in ("ann", "bob", "cat"):
        assert try_sign_in(client, name, "guess", "203.0.113.9").status_code == 401
    busy = try_sign_in(client, "ops", PASSWORD, "203.0.113.9")
    assert busy.status_code == 429 and "登录尝试过于频繁，请稍后再试（1008）" in shown(busy)
    assert session_id(client) == ""
    assert try_sign_in(app.test_client(), "ops", PASSWORD, "198.51.100.7").status_code == 302


def test_sign_in_without_or_with_a_wrong_csrf_token_is_refused_before_any_password_check(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def counted(pwhash: str, password: str) -> bool:
        calls.append(pwhash)
        return True

    monkeypatch.setattr(staff, "check_password_hash", counted)
    victim, attacker = app.test_client(), app.test_client()
    form = {"name": "ops", "password": PASSWORD}
    tokens: list[str | None] = [None, "", "forged", login_csrf(attacker)]  # attacker's own
    login_csrf(victim)  # the victim's browser has its login cookie
    for token in tokens:
        data = form if token is None else {**form, "csrf": token}
        refused = victim.post("/console/login", data=data)
        assert refused.status_code == 400 and "页面已过期，请刷新后重试（1002）" in shown(refused)
    assert calls == [] and session_id(victim) == ""
    bare = app.test_client()  # no login cookie at all
    assert bare.post("/console/login", data={**form, "csrf": "x"}).status_code == 400


def test_sign_out_without_its_csrf_token_is_refused_and_the_session_lives_on(
    app: Flask,
) -> None:
    client = signed_in(app)
    for data in ({}, {"csrf": "forged"}):
        refused = client.post("/console/logout", data=data)
        assert refused.status_code == 400 and "1002" in refused.get_data(as_text=True)
    assert client.get("/console/orders").status_code == 200


def test_the_session_cookie_is_secure_httponly_and_lax_by_default(make_app: AppFactory) -> None:
    app = make_app(CONSOLE_COOKIE_SECURE=None)  # production: the setting left out
    client = app.test_client()
    answer = try_sign_in(client, "ops", PASSWORD)
    (cookie,) = [c for c in answer.headers.getlist("Set-Cookie") if "console_session=" in c]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite"} <= flags and "SameSite=Lax" in cookie
    assert "Path=/console" in cookie and len(session_id(client)) >= 40
    login = client.get("/console/login").headers.get("Set-Cookie", "")
    assert "Secure" in login and "HttpOnly" in login
    dev = try_sign_in(make_app().test_client(), "ops", PASSWORD).headers.getlist("Set-Cookie")
    assert not [c for c in dev if "console_session=" in c and "Secure" in c]


def test_a_planted_session_id_is_replaced_at_sign_in_and_the_old_one_dies(app: Flask) -> None:
    client = with_cookie(app, "planted-by-attacker-0123456789abcdefghijk")
    assert try_sign_in(client, "ops", PASSWORD).status_code == 302
    first = session_id(client)
    assert first and first != "planted-by-attacker-0123456789abcdefghijk"
    assert try_sign_in(client, "ops", PASSWORD).status_code == 302  # signing in again
    assert session_id(client) != first
    assert with_cookie(app, first).get("/console/orders").status_code == 302


def test_every_sign_in_event_is_audited_and_no_password_is_kept(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(CONSOLE_LOCKOUT_FAILURES="2")
    client = app.test_client()
    try_sign_in(client, "viewer", "secret-guess-1")
    try_sign_in(client, "viewer", "secret-guess-2")  # locks the name
    try_sign_in(client, "nobody", "secret-guess-3")
    ops = signed_in(app, "ops")
    ops.post("/console/logout", data={"csrf": session_csrf(ops)})
    rows = recent_operations(app.extensions["cloud_deps"], 10, "console")
    seen = [(r["actor"].split(":")[0], r["action"]) for r in reversed(rows)]
    assert seen == [
        ("viewer", "console_sign_in_failed"),
        ("viewer", "console_sign_in_locked"),
        ("unknown", "console_sign_in_failed"),
        ("ops", "console_sign_in"),
        ("ops", "console_sign_out"),
    ]
    kept = str(rows) + caplog.text
    assert "secret-guess" not in kept and PASSWORD not in kept and "nobody" not in kept
