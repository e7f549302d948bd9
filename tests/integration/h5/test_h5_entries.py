"""The H5 pages' WeChat and Alipay entries through Flask's test client with the real
channels (they only build authorize URLs here): the state round trip, and every forged,
replayed or crossed callback refused in Chinese before any code is exchanged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cloud_service import create_app, web
from cloud_service.settings import Settings
from tests.cloud_env import cloud_env

SCRIPT_URLS = {
    "WECHAT_JSBRIDGE_SCRIPT_URL": "http://wx.test/jsbridge.js",
    "ALIPAY_JSBRIDGE_SCRIPT_URL": "http://ali.test/jsbridge.js",
}


@pytest.fixture()
def app(tmp_path: Path, redis_url: str) -> Iterator[Flask]:
    """The cloud app with its pages, configured as in development."""
    env = cloud_env(tmp_path, redis_url, **SCRIPT_URLS)
    flask_app = create_app(Settings.from_env(env))
    web.register(flask_app)
    yield flask_app


def _start(client: FlaskClient, app_name: str) -> tuple[str, dict[str, list[str]]]:
    """Follow the entry: the state the authorize URL carries, and that URL's query."""
    answer = client.get(f"/h5/entry/{app_name}")
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Max-Age=300" in cookie and "SameSite=Lax" in cookie
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    return query["state"][0], query


@pytest.mark.parametrize(("app_name", "param"), [("wechat", "code"), ("alipay", "auth_code")])
def test_an_entry_sends_the_browser_to_authorize_and_its_own_state_lets_the_code_through(
    app: Flask, app_name: str, param: str
) -> None:
    client = app.test_client()
    state, query = _start(client, app_name)
    assert len(state) >= 24
    assert query["redirect_uri"][0] == f"http://localhost/h5/entry/{app_name}/callback"
    page = client.get(f"/h5/entry/{app_name}/callback?{param}=CODE123&state={state}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'"{param}": "CODE123"' in text and f'"grant": "{app_name}"' in text
    assert "h5_oauth_state=;" in page.headers["Set-Cookie"]  # one callback per state
    replayed = client.get(f"/h5/entry/{app_name}/callback?{param}=CODE123&state={state}")
    assert replayed.status_code == 400 and "CODE123" not in replayed.get_data(as_text=True)


@pytest.mark.parametrize("app_name", ["wechat", "alipay"])
def test_a_callback_with_a_forged_state_is_refused_in_chinese_and_no_code_reaches_the_page(
    app: Flask, app_name: str
) -> None:
    client = app.test_client()
    state, _ = _start(client, app_name)
    forged = client.get(
        f"/h5/entry/{app_name}/callback?code=STOLEN&auth_code=STOLEN&state=x{state[1:]}"
    )
    text = forged.get_data(as_text=True)
    assert forged.status_code == 400
    assert "重新登录（2017）" in text and "STOLEN" not in text
    assert not re.search(r"entry-error[^<]*<[^>]*>[^<]*[A-Za-z]{4}", text)


def test_a_callback_without_the_state_cookie_is_refused(app: Flask) -> None:
    attacker = app.test_client()
    state, _ = _start(attacker, "wechat")
    victim = app.test_client()  # a link the attacker sends: the victim's browser has no cookie
    answer = victim.get(f"/h5/entry/wechat/callback?code=ATTACKER&state={state}")
    assert answer.status_code == 400 and "ATTACKER" not in answer.get_data(as_text=True)


def test_a_state_from_the_wechat_entry_is_refused_on_the_alipay_callback(app: Flask) -> None:
    client = app.test_client()
    state, _ = _start(client, "wechat")
    answer = client.get(f"/h5/entry/alipay/callback?auth_code=AC1&state={state}")
    assert answer.status_code == 400 and "AC1" not in answer.get_data(as_text=True)


def test_a_malformed_code_is_refused_even_with_the_right_state(app: Flask) -> None:
    client = app.test_client()
    state, _ = _start(client, "wechat")
    answer = client.get(f"/h5/entry/wechat/callback?code=%3Cscript%3E&state={state}")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and '"grant"' not in text and "&lt;script" not in text
    assert "没有收到微信的授权" in text


def test_the_pay_page_renders_the_bridge_script_addresses_of_the_settings(app: Flask) -> None:
    text = app.test_client().get("/h5/pay?order_no=X").get_data(as_text=True)
    assert 'data-wechat="http://wx.test/jsbridge.js"' in text
    assert 'data-alipay="http://ali.test/jsbridge.js"' in text


def test_the_state_cookie_is_secure_unless_development_turns_it_off(app: Flask) -> None:
    settings = app.extensions["cloud_settings"]
    assert "Secure" not in app.test_client().get("/h5/entry/wechat").headers["Set-Cookie"]
    app.extensions["cloud_settings"] = replace(
        settings, console=replace(settings.console, cookie_secure=True)
    )
    assert "Secure" in app.test_client().get("/h5/entry/alipay").headers["Set-Cookie"]
