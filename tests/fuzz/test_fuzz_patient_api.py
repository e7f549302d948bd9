"""schemathesis against the cloud's patient API, built from its own OpenAPI document: no
5xx, and every refusal carries a result code. The cloud runs in-process over a migrated
SQLite ledger and real Redis, with the hospital faked at the edge."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings

from cloud_service import create_app
from cloud_service.deps import Deps
from cloud_service.settings import Settings
from tests.cloud_env import cloud_env
from tests.unit.cloud_service.fakes import FakeHospital, sign_in, with_fake_sms

OPENAPI = "/api/v1/docs/openapi.json"
EXAMPLES_PER_OPERATION = 30
# The channels' notification callbacks answer in the channel's own format (WeChat Pay's
# {"code": "FAIL"}, Alipay's "fail"), as those partners require: no result_code there.
PARTNER_CALLBACKS = "/api/v1/notify/"


def _app(tmp_path: Path, redis_url: str) -> Flask:
    env = cloud_env(tmp_path, redis_url)
    app = create_app(Settings.from_env(env))
    # The hospital is faked; the channels stay the real adapters, since the notification
    # endpoints verify signatures with them (no fuzzed request can reach a channel's API).
    built: Deps = app.extensions["cloud_deps"]
    app.extensions["cloud_deps"] = replace(built, hospital=FakeHospital())  # type: ignore[arg-type]
    with_fake_sms(app)
    return app


@pytest.fixture(scope="module")
def cloud_app(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Flask:
    """One cloud app for every operation of the document."""
    return _app(tmp_path_factory.mktemp("fuzz_cloud"), redis_url)


@pytest.fixture(scope="module")
def bearer(cloud_app: Flask) -> dict[str, str]:
    """A signed-in app user, with a bound record, so fuzzing reaches past authentication."""
    client = cloud_app.test_client()
    token = sign_in(client, "13800000001")  # the fake hospital's record phone: bound at once
    headers = {"Authorization": f"Bearer {token}"}
    client.post(
        "/api/v1/patients",
        json={"id_card_no": "110105198001010016", "name": "张伟"},
        headers=headers,
    )
    return headers


def _check(case: Any, bearer: dict[str, str]) -> None:
    signing_out = case.method == "DELETE" and case.path == "/api/v1/auth/tokens"
    response = case.call(headers={} if signing_out else bearer)  # keep the shared sign-in
    # WeChat's and Alipay's OAuth are not running here: their 3004 answers 502, as section 2
    # maps a partner out of reach; anything else of 5xx is a crash
    unreachable = response.status_code in (502, 504) and str(
        (response.json() or {}).get("result_code", "")
    ).startswith("3")
    assert response.status_code < 500 or unreachable, (
        f"{case.method} {case.formatted_path}: {response.text}"
    )
    if response.status_code >= 400 and not case.path.startswith(PARTNER_CALLBACKS):
        answer = response.json()
        assert isinstance(answer, dict) and answer.get("result_code"), response.text
        assert answer.get("result_msg"), response.text


def test_patient_api_never_answers_5xx_and_every_refusal_has_a_result_code(
    cloud_app: Flask, bearer: dict[str, str]
) -> None:
    # Driven by hand rather than by schemathesis' pytest plugin, whose fixture loader does
    # not run on this pytest: one hypothesis run per operation of the document.
    schema = schemathesis.openapi.from_wsgi(OPENAPI, cloud_app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 5
    failures: list[str] = []
    for operation in operations:
        fuzz = settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing call is shown
        )(given(case=operation.as_strategy())(lambda case: _check(case, bearer)))
        try:
            fuzz()
        except AssertionError as exc:  # every operation runs; all failures are listed
            failures.append(str(exc).splitlines()[0])
    assert failures == []
