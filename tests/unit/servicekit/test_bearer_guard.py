"""The one bearer-token guard: off (404) when the setting is empty, else 401 unless sent."""

from __future__ import annotations

import pytest
from flask import Flask

from servicekit.bearer import require_bearer
from servicekit.web import install_common

TOKEN = "guard-token-0001"


def _app(expected: str, query_param: str | None = None) -> Flask:
    app = Flask(__name__)
    install_common(app, "probe")
    app.before_request(require_bearer(expected, "运维令牌", "ops", query_param=query_param))
    app.add_url_rule("/guarded", "guarded", lambda: "inside")
    return app


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN[:-1]}",
     "Bearer 令牌"],
)  # fmt: skip
def test_a_missing_or_forged_token_is_401_with_1003_naming_the_token(authorization: str) -> None:
    answer = _app(TOKEN).test_client().get("/guarded", headers={"Authorization": authorization})
    assert answer.status_code == 401
    assert answer.get_json() == {"result_code": "1003", "result_msg": "运维令牌缺失或无效"}
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="ops"'
    assert b"inside" not in answer.data


@pytest.mark.parametrize(
    "authorization", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"Bearer  {TOKEN} "]
)
def test_the_right_token_passes(authorization: str) -> None:
    answer = _app(TOKEN).test_client().get("/guarded", headers={"Authorization": authorization})
    assert answer.status_code == 200 and answer.data == b"inside"


@pytest.mark.parametrize("authorization", ["", "Bearer ", "Bearer anything"])
def test_an_empty_token_setting_turns_the_guarded_thing_off_with_404(authorization: str) -> None:
    answer = _app("").test_client().get("/guarded", headers={"Authorization": authorization})
    assert answer.status_code == 404
    assert answer.get_json()["result_code"] == "1010"
    assert b"inside" not in answer.data


def test_the_query_token_counts_only_where_allowed() -> None:
    assert _app(TOKEN, "token").test_client().get(f"/guarded?token={TOKEN}").status_code == 200
    assert _app(TOKEN).test_client().get(f"/guarded?token={TOKEN}").status_code == 401
    forged = _app(TOKEN, "token").test_client().get("/guarded?token=nope")
    assert forged.status_code == 401
