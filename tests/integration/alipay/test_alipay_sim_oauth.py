"""The simulator's service-window entry through its test client, signed with real RSA2 keys:
the authorize page, auth_codes (single use, 300 s, one app's) and alipay.system.oauth.token."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from envelope import clock
from simulators.alipay import oauth
from tests.integration.alipay.conftest import APP_B, APP_ID, Window

TOKEN = "alipay.system.oauth.token"
PAGE = "/oauth2/publicAppAuthorize.htm"
ENTRY = {
    "app_id": APP_ID,
    "scope": "auth_base",
    "redirect_uri": "https://hospital.example/alipay/entry?from=menu",
    "state": "csrf-123",
}


def _exchange(window: Window, code: str, sdk=None, **extra: str) -> tuple[dict, str]:
    # An empty code is left out: Alipay signs only non-empty parameters.
    params = {"grant_type": "authorization_code", **({"code": code} if code else {}), **extra}
    return window.call(TOKEN, sdk or window.sdk_a, **params)


def _ok(window: Window, text: str, sdk=None) -> dict:
    """The verified success answer (the SDK checks the platform's sign)."""
    return (sdk or window.sdk_a)._verify_and_return_sync_response(
        text, "alipay_system_oauth_token_response"
    )


def _refusal(answer: dict) -> tuple[str, str]:
    assert "alipay_system_oauth_token_response" not in answer
    error = answer["error_response"]
    return error["code"], error["sub_code"]


def test_authorize_page_lists_the_test_users_in_chinese_on_a_phone_sized_page(
    window: Window,
) -> None:
    page = window.app.test_client().get(PAGE, query_string=ENTRY)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="viewport"' in text and "授权" in text
    for name in ("支付宝用户A", "支付宝用户B", "支付宝用户C"):
        assert name in text


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"app_id": "2021999999999999"}, "应用不存在"),
        ({"scope": "auth_everything"}, "授权范围"),
        ({"redirect_uri": "javascript:alert(1)"}, "回调地址"),
        ({"redirect_uri": ""}, "回调地址"),
        ({"state": "x" * 101}, "state"),
    ],
)
def test_authorize_page_refuses_a_bad_request_with_a_chinese_error_page(
    window: Window, change: dict, reason: str
) -> None:
    for answer in (
        window.app.test_client().get(PAGE, query_string={**ENTRY, **change}),
        window.app.test_client().post(
            PAGE + "/confirm", data={**ENTRY, **change, "user": "支付宝用户A"}
        ),
    ):
        assert answer.status_code == 400
        assert reason in answer.get_data(as_text=True) and "Location" not in answer.headers


def test_picking_a_user_redirects_with_auth_code_app_id_and_the_state_unchanged(
    window: Window,
) -> None:
    answer = window.app.test_client().post(PAGE + "/confirm", data={**ENTRY, "user": "支付宝用户B"})
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert target.netloc == "hospital.example" and target.path == "/alipay/entry"
    back = parse_qs(target.query)
    assert back["from"] == ["menu"] and back["state"] == ["csrf-123"]
    assert back["app_id"] == [APP_ID] and back["scope"] == ["auth_base"]
    assert re.fullmatch(r"[0-9a-f]{32}", back["auth_code"][0])


def test_picking_a_user_who_is_not_a_test_user_is_refused(window: Window) -> None:
    answer = window.app.test_client().post(PAGE + "/confirm", data={**ENTRY, "user": "冒名用户"})
    assert answer.status_code == 400 and "没有这个测试用户" in answer.get_data(as_text=True)


def test_auth_code_exchanges_once_for_a_signed_user_id_and_open_id(window: Window) -> None:
    _, text = _exchange(window, window.auth_code("支付宝用户A"))
    body = _ok(window, text)
    assert body["code"] == "10000"
    assert re.fullmatch(r"2088\d{12}", body["user_id"])
    assert body["open_id"].startswith("0") and len(body["open_id"]) > 20
    assert body["access_token"] and body["refresh_token"] != body["access_token"]
    assert int(body["expires_in"]) > 0 and int(body["re_expires_in"]) >= int(body["expires_in"])


def test_replayed_auth_code_is_refused_as_code_invalid(window: Window) -> None:
    code = window.auth_code()
    _ok(window, _exchange(window, code)[1])
    answer, text = _exchange(window, code)
    assert _refusal(answer) == ("40002", "isv.code-invalid")
    assert "user_id" not in text


@pytest.mark.parametrize("code", ["", "0" * 32, "not-a-code", "x" * 500])
def test_unknown_or_missing_auth_code_is_refused(window: Window, code: str) -> None:
    assert _refusal(_exchange(window, code)[0]) == ("40002", "isv.code-invalid")


def test_auth_code_is_good_for_300_seconds_and_refused_after(
    window: Window, monkeypatch: pytest.MonkeyPatch
) -> None:
    early, late = window.auth_code(), window.auth_code()
    issued, offset = time.time(), [0.0]
    # The module's clock only, moved ahead; sleeping stays real.
    later = SimpleNamespace(time=lambda: issued + offset[0], sleep=time.sleep)
    monkeypatch.setattr(oauth, "time", later)
    offset[0] = 295
    assert _ok(window, _exchange(window, early)[1])["code"] == "10000"
    offset[0] = 301
    assert _refusal(_exchange(window, late)[0]) == ("40002", "isv.code-invalid")


def test_code_issued_to_one_app_is_refused_to_another_and_stays_usable_by_its_own(
    window: Window,
) -> None:
    code = window.auth_code(app_id=APP_ID)
    answer, _ = _exchange(window, code, sdk=window.sdk_b)
    assert _refusal(answer) == ("40002", "isv.code-invalid")
    assert _ok(window, _exchange(window, code)[1])["code"] == "10000"


def test_user_id_is_one_per_user_and_open_id_one_per_app_and_user(window: Window) -> None:
    a_first = _ok(window, _exchange(window, window.auth_code("支付宝用户A"))[1])
    a_again = _ok(window, _exchange(window, window.auth_code("支付宝用户A"))[1])
    b_user = _ok(window, _exchange(window, window.auth_code("支付宝用户B"))[1])
    code_for_b = window.auth_code("支付宝用户A", app_id=APP_B)
    a_in_b = _ok(window, _exchange(window, code_for_b, sdk=window.sdk_b)[1], window.sdk_b)
    assert a_first["open_id"] == a_again["open_id"] and a_first["user_id"] == a_again["user_id"]
    assert a_first["access_token"] != a_again["access_token"]
    assert b_user["user_id"] != a_first["user_id"] and b_user["open_id"] != a_first["open_id"]
    assert a_in_b["user_id"] == a_first["user_id"]
    assert a_in_b["open_id"] != a_first["open_id"]
    listed = window.app.test_client().get("/sim/users").get_json()["users"]
    user_a = next(u for u in listed if u["name"] == "支付宝用户A")
    assert user_a["open_ids"] == {APP_ID: a_first["open_id"], APP_B: a_in_b["open_id"]}


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "AUTHORIZATION_CODE"])
def test_grant_type_other_than_authorization_code_is_refused(
    window: Window, grant_type: str
) -> None:
    code = window.auth_code()
    answer, _ = _exchange(window, code, grant_type=grant_type)
    assert _refusal(answer) == ("40002", "isv.grant-type-invalid")
    assert _ok(window, _exchange(window, code)[1])["code"] == "10000"  # not spent


def test_forged_token_request_is_refused_and_spends_no_code(window: Window) -> None:
    code = window.auth_code()
    data = window.sdk_a.build_body(TOKEN, {}, grant_type="authorization_code", code=code)
    data["timestamp"] = clock.now().strftime("%Y-%m-%d %H:%M:%S")
    params = dict(parse_qsl(window.sdk_a.sign_data(data)))
    params["code"] = window.auth_code("支付宝用户C")  # swapped after signing
    answer = window.app.test_client().post("/gateway.do", data=params).get_json()
    assert _refusal(answer) == ("40002", "isv.invalid-signature")
    assert _ok(window, _exchange(window, params["code"])[1])["code"] == "10000"


def test_injected_error_answers_20000_and_leaves_the_code_usable(window: Window) -> None:
    client = window.app.test_client()
    client.post("/sim/faults", json={"mode": "error", "method": TOKEN, "count": 1})
    code = window.auth_code()
    answer, _ = _exchange(window, code)
    assert _refusal(answer) == ("20000", "isp.unknow-error")
    assert _ok(window, _exchange(window, code)[1])["code"] == "10000"


def test_injected_error_on_the_authorize_page_is_a_chinese_busy_page(window: Window) -> None:
    client = window.app.test_client()
    client.post("/sim/faults", json={"mode": "error", "method": oauth.PAGE_FAULT, "count": 1})
    busy = client.get(PAGE, query_string=ENTRY)
    assert busy.status_code == 503 and "系统繁忙" in busy.get_data(as_text=True)
    assert client.get(PAGE, query_string=ENTRY).status_code == 200
