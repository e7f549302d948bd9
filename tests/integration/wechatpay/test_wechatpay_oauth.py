"""The simulator's official-account web authorization through its test client: the user
picker page, codes that are single use, short-lived and bound to one appid, AppSecret and
appid checks, openids per appid, and faults on the OAuth endpoints."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from simulators.wechatpay import create_app
from tests.integration.wechatpay.conftest import (
    APP_SECRET,
    APPID,
    OTHER_APPID,
    OTHER_SECRET,
    sim_settings,
)

REDIRECT = "https://pay.hospital.example/h5/wechat/callback?from=menu"


def _app(keys: Path, tmp_path: Path, **overrides: Any) -> Flask:
    return create_app(sim_settings(keys, tmp_path, start_notifier=False, **overrides))


@pytest.fixture
def client(keys: Path, tmp_path: Path) -> Iterator[FlaskClient]:
    """The simulator (our account and another one) through its test client."""
    yield _app(keys, tmp_path).test_client()


def _authorize(appid: str = APPID, **extra: str) -> dict[str, str]:
    return {
        "appid": appid,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "snsapi_base",
        "state": "s0123",
        **extra,
    }


def code_for(client: FlaskClient, user: str = "微信用户A", appid: str = APPID) -> str:
    """A code as the picker's button gets it: POST confirm, read the redirect."""
    answer = client.post(
        "/connect/oauth2/authorize/confirm", data={**_authorize(appid), "user": user}
    )
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def exchange(
    client: FlaskClient, code: str, appid: str = APPID, secret: str = APP_SECRET, **extra: str
) -> dict[str, Any]:
    """GET /sns/oauth2/access_token as the cloud sends it."""
    params = {"appid": appid, "secret": secret, "code": code, "grant_type": "authorization_code"}
    answer = client.get("/sns/oauth2/access_token", query_string={**params, **extra})
    assert answer.status_code == 200  # WeChat answers its refusals with HTTP 200 too
    body: dict[str, Any] = answer.get_json()
    return body


def test_authorize_page_is_a_chinese_phone_page_with_a_button_per_test_user(
    client: FlaskClient,
) -> None:
    page = client.get("/connect/oauth2/authorize", query_string=_authorize())
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="viewport"' in text
    assert "选择登录的微信用户" in text
    for user in ("微信用户A", "微信用户B", "微信用户C"):
        assert f"以「{user}」身份继续" in text


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"appid": "wx00000000000000ff"}, "40013", "appid 无效"),
        ({"appid": ""}, "10012", "appid 不能为空"),
        ({"redirect_uri": ""}, "10011", "redirect_uri 不能为空"),
        ({"redirect_uri": "javascript:alert(1)"}, "10003", "redirect_uri 参数错误"),
        ({"response_type": "token"}, "10008", "response_type"),
        ({"scope": "snsapi_login"}, "10005", "scope 的权限"),
        ({"scope": ""}, "10010", "scope 不能为空"),
        ({"state": "x" * 129}, "10008", "state 参数过长"),
    ],
)
def test_a_bad_authorize_request_gets_a_chinese_error_page_and_no_code(
    client: FlaskClient, change: dict[str, str], code: str, words: str
) -> None:
    params = {**_authorize(), **change}
    page = client.get("/connect/oauth2/authorize", query_string=params)
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "授权失败" in text
    assert words in text and f"错误码：{code}" in text
    picked = client.post("/connect/oauth2/authorize/confirm", data={**params, "user": "微信用户A"})
    assert picked.status_code == 400 and "Location" not in picked.headers


def test_picking_a_user_redirects_with_code_and_state_and_the_code_gives_the_openid(
    client: FlaskClient,
) -> None:
    answer = client.post(
        "/connect/oauth2/authorize/confirm", data={**_authorize(), "user": "微信用户B"}
    )
    location = urlsplit(answer.headers["Location"])
    query = parse_qs(location.query)
    assert answer.status_code == 302
    assert (location.netloc, location.path) == ("pay.hospital.example", "/h5/wechat/callback")
    assert query["from"] == ["menu"] and query["state"] == ["s0123"]
    token = exchange(client, query["code"][0])
    listed = client.get("/sim/oauth/users").get_json()["users"]
    assert token["openid"] == next(u["openid"] for u in listed if u["name"] == "微信用户B")
    assert token["expires_in"] == 7200 and token["scope"] == "snsapi_base"
    assert token["access_token"] and token["refresh_token"]
    assert token["openid"].startswith("o") and len(token["openid"]) == 28


def test_a_test_can_pick_the_user_on_the_get_and_an_unknown_user_is_refused(
    client: FlaskClient,
) -> None:
    picked = client.get(
        "/connect/oauth2/authorize", query_string={**_authorize(), "user": "微信用户C"}
    )
    assert picked.status_code == 302 and "code=" in picked.headers["Location"]
    stranger = client.get(
        "/connect/oauth2/authorize", query_string={**_authorize(), "user": "陌生人"}
    )
    assert stranger.status_code == 400 and "没有这个测试微信用户" in stranger.get_data(as_text=True)


def test_a_code_is_single_use_the_replay_is_40163(client: FlaskClient) -> None:
    code = code_for(client)
    assert "openid" in exchange(client, code)
    replay = exchange(client, code)
    assert replay["errcode"] == 40163 and replay["errmsg"].startswith("code been used")
    assert "openid" not in replay


def test_a_code_past_its_lifetime_is_40029(keys: Path, tmp_path: Path) -> None:
    client = _app(keys, tmp_path, oauth_code_seconds=0.2).test_client()
    code = code_for(client)
    time.sleep(0.3)
    late = exchange(client, code)
    assert late["errcode"] == 40029 and "openid" not in late


@pytest.mark.parametrize(
    ("change", "errcode"),
    [
        ({"secret": "not-the-secret"}, 40125),
        ({"secret": OTHER_SECRET}, 40125),  # another account's secret is not ours
        ({"secret": ""}, 41004),
        ({"appid": "wx00000000000000ff"}, 40013),
        ({"appid": ""}, 41002),
        ({"code": ""}, 41008),
        ({"grant_type": "client_credential"}, 40002),
        ({"code": "0" * 32}, 40029),
    ],
)
def test_a_bad_exchange_is_refused_with_wechats_errcode_and_spends_nothing(
    client: FlaskClient, change: dict[str, str], errcode: int
) -> None:
    code = code_for(client)
    params = {"appid": APPID, "secret": APP_SECRET, "code": code, **change}
    refused = exchange(client, **params)  # type: ignore[arg-type]
    assert refused["errcode"] == errcode and "openid" not in refused
    assert ", rid: " in refused["errmsg"]
    assert "openid" in exchange(client, code)  # the honest exchange still works


def test_a_code_issued_for_one_appid_is_invalid_for_another(client: FlaskClient) -> None:
    code = code_for(client, appid=APPID)
    stolen = exchange(client, code, appid=OTHER_APPID, secret=OTHER_SECRET)
    assert stolen["errcode"] == 40029 and "openid" not in stolen
    assert "openid" in exchange(client, code)


def test_one_user_has_a_stable_openid_per_appid_that_differs_between_appids(
    client: FlaskClient,
) -> None:
    ours = [exchange(client, code_for(client))["openid"] for _ in range(2)]
    theirs = exchange(
        client, code_for(client, appid=OTHER_APPID), appid=OTHER_APPID, secret=OTHER_SECRET
    )["openid"]
    other_user = exchange(client, code_for(client, user="微信用户B"))["openid"]
    assert ours[0] == ours[1]
    assert theirs != ours[0] and other_user != ours[0]


def test_faults_apply_to_the_oauth_endpoints(client: FlaskClient) -> None:
    code = code_for(client)
    added = client.post("/sim/faults", json={"mode": "error", "path_prefix": "/sns/"})
    assert added.status_code == 201
    busy = exchange(client, code)
    assert busy["errcode"] == -1 and "openid" not in busy
    assert "openid" in exchange(client, code)  # the fault spent nothing
    client.post("/sim/faults", json={"mode": "error", "path_prefix": "/connect/"})
    page = client.get("/connect/oauth2/authorize", query_string=_authorize())
    assert page.status_code == 500 and "系统繁忙" in page.get_data(as_text=True)
