"""Hostile bytes against every envelope endpoint of the four services and every patient
API route: deep nesting, lone surrogates, huge numbers, malformed UTF-8, things that are not
objects. Nothing answers 5xx; every refusal is JSON with a result code, and no log line
written meanwhile holds an ID number or a name.

The four apps run in-process from the development settings, over SQLite and real Redis."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import hospital_gateway
import insurance_frontend
import integration_platform
from cloud_service.deps import Deps
from devstack.keys import ensure_dev_keys
from devstack.stack import ROOT, read_env_file
from envelope import CLOUD, GATEWAY, HIP, INSFE, KeyRing, canonical_bytes, codes
from envelope.header import request_header
from envelope.signing import SIGN_TYPE
from insurance_frontend.__main__ import MIGRATIONS as INSFE_MIGRATIONS
from servicekit.db import migrate
from servicekit.logs import JsonFormatter
from tests.fuzz import hostile
from tests.fuzz.test_fuzz_patient_api import _app as cloud_app
from tests.unit.cloud_service.fakes import FakeHospital, sign_in

ID_NUMBER, NAME = "110105198001010016", "张伟"
PARTNER_CALLBACKS = "/api/v1/notify/"  # they answer in the channel's format, not ours
DOCS = "/api/v1/docs/"


@dataclass(frozen=True)
class Door:
    """One envelope endpoint: the app, its path, and who may write to it with which key."""

    client: FlaskClient
    path: str
    sender: str
    receiver: str
    trade_code: str
    ring: KeyRing

    def header(self, body: bytes) -> bytes:
        """A well-formed header correctly signed over ``body`` as it stands in the bytes."""
        unsigned = request_header(
            trade_code=self.trade_code,
            sender=self.sender,
            receiver=self.receiver,
            hospital_code="H00001",
            channel="APP",
            operator="fuzz",
        )
        unsigned.update(sign_type=SIGN_TYPE, key_id=self.ring.active_key_id)
        signed = b'{"body":' + body + b',"header":' + canonical_bytes(unsigned) + b"}"
        sign = hmac.new(self.ring.active_key, signed, hashlib.sha256).hexdigest()
        return canonical_bytes({**unsigned, "sign": sign})

    def wrap(self, body: bytes) -> bytes:
        """An envelope around raw body bytes, signed as a sender with the key would sign it."""
        return b'{"header":' + self.header(body) + b',"body":' + body + b"}"


def _env(tmp: Path, redis_url: str) -> dict[str, str]:
    env = read_env_file(ROOT / "deploy" / "dev.env")
    for key in list(env):
        if key.endswith("_KEY_PATH"):
            env[key] = str(tmp / "keys" / Path(env[key]).name)
    ensure_dev_keys(ROOT, env)
    env.update(REDIS_URL=redis_url, INSURANCE_SIGNIN_AT_START="0")
    return env


def _migrated(env: dict[str, str], tmp: Path, name: str, migrations: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp / f'{name}.db'}"
    migrate(url, migrations)
    return {**env, "DATABASE_URL": url}


def _ring(env: dict[str, str], link: str) -> KeyRing:
    return KeyRing.from_settings(link, env[f"ENVELOPE_KEY_ID_{link}"], env[f"ENVELOPE_KEY_{link}"])


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> dict[str, Flask]:
    """The four services as gunicorn builds them, on the development settings."""
    tmp = tmp_path_factory.mktemp("hostile")
    env = _env(tmp, redis_url)
    gateway_env = _migrated(env, tmp, "gateway", hospital_gateway.MIGRATIONS)
    hip_env = _migrated(env, tmp, "hip", integration_platform.MIGRATIONS)
    insfe_env = _migrated(env, tmp, "insfe", INSFE_MIGRATIONS)
    cloud = cloud_app(tmp, redis_url)
    built: Deps = cloud.extensions["cloud_deps"]
    cloud.extensions["cloud_deps"] = replace(built, hospital=FakeHospital())  # type: ignore[arg-type]
    return {
        GATEWAY: hospital_gateway.create_app(hospital_gateway.Settings.from_env(gateway_env)),
        HIP: integration_platform.create_app(integration_platform.Settings.from_env(hip_env)),
        INSFE: insurance_frontend.create_app(insurance_frontend.Settings.from_env(insfe_env)),
        CLOUD: cloud,
    }


@pytest.fixture(scope="module")
def doors(apps: dict[str, Flask]) -> dict[str, Door]:
    """Each service's envelope endpoint, with the key of the link that reaches it."""
    env = read_env_file(ROOT / "deploy" / "dev.env")
    return {
        GATEWAY: Door(
            apps[GATEWAY].test_client(), "/gateway", CLOUD, HIP, "1001", _ring(env, "CLOUD")
        ),
        HIP: Door(apps[HIP].test_client(), "/envelope", CLOUD, HIP, "1001", _ring(env, "HIP")),
        INSFE: Door(
            apps[INSFE].test_client(), "/envelope", CLOUD, INSFE, "4003", _ring(env, "INSFE")
        ),
        CLOUD: Door(
            apps[CLOUD].test_client(), "/envelope", HIP, CLOUD, "6001", _ring(env, "CLOUD")
        ),
    }


@pytest.fixture()
def json_log() -> Iterator[io.StringIO]:
    """Every log line written during the test, through the project's JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("fuzz"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def _no_personal_data(log: io.StringIO) -> None:
    text = log.getvalue()
    assert ID_NUMBER not in text and NAME not in text


def _envelope_failure(door: Door, label: str, data: bytes) -> str | None:
    response = door.client.post(door.path, data=data, content_type="application/json")
    if response.status_code >= 500:
        return f"{label}: {response.status_code} {response.data[:200]!r}"
    try:
        head = json.loads(response.data)["header"]
    except (ValueError, KeyError, TypeError):
        return f"{label}: not an envelope: {response.data[:200]!r}"
    code = head.get("result_code", "")
    if not (code[:1] == "1" and len(code) == 4 and head.get("result_msg")):
        return f"{label}: {code} {head.get('result_msg')}"
    if response.status_code != codes.http_status(code):
        return f"{label}: {code} answered {response.status_code}"
    return None


@pytest.mark.parametrize("party", [GATEWAY, HIP, INSFE, CLOUD])
def test_hostile_bytes_at_every_envelope_endpoint_are_refused_with_a_1xxx_envelope(
    doors: dict[str, Door], json_log: io.StringIO, party: str
) -> None:
    door = doors[party]
    failures = []
    for label, value in hostile.VALUES + hostile.NOT_OBJECTS:
        for where, data in hostile.envelope_bytes(door.wrap, value):
            failures.append(_envelope_failure(door, f"{label} as {where}", data))
    assert [f for f in failures if f] == []
    _no_personal_data(json_log)


def _api_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every /api/v1 route, path variables filled with a plain value."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", "M0001")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


SIGN_OUT = "/api/v1/auth/tokens"


def _api_failure(label: str, path: str, response: Any, expect_refusal: bool) -> str | None:
    if response.status_code >= 500:
        return f"{label}: {response.status_code} {response.data[:200]!r}"
    if path.startswith(PARTNER_CALLBACKS) or path.startswith(DOCS):
        return None
    if expect_refusal and response.status_code < 400:
        return f"{label}: accepted with {response.status_code}"
    answer = response.get_json(silent=True)
    if not isinstance(answer, dict):
        return f"{label}: not JSON: {response.data[:200]!r}"
    if response.status_code >= 400 and not (answer.get("result_code") and answer.get("result_msg")):
        return f"{label}: no result code: {answer}"
    return None


@pytest.fixture(scope="module")
def credentials(apps: dict[str, Flask]) -> Callable[[str], dict[str, str]]:
    """The Authorization a real caller of the path sends: a patient's token or the ops one."""
    client = apps[CLOUD].test_client()
    token = sign_in(client, "13800000001")
    patient = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/patients", json={"id_card_no": ID_NUMBER, "name": NAME}, headers=patient)
    ops = {"Authorization": f"Bearer {read_env_file(ROOT / 'deploy' / 'dev.env')['OPS_TOKEN']}"}
    # DELETE /auth/tokens with the patient's token would sign them out for every later
    # request: it is sent without one (its body is still read first)
    return lambda path: (
        ops if path.startswith("/api/v1/ops/") else {} if path == SIGN_OUT else patient
    )


def test_hostile_bodies_at_every_patient_api_route_are_refused_with_a_result_code(
    apps: dict[str, Flask], credentials: Callable[[str], dict[str, str]], json_log: io.StringIO
) -> None:
    client = apps[CLOUD].test_client()
    routes = [(m, p) for m, p in _api_routes(apps[CLOUD]) if m != "GET"]
    assert len(routes) >= 8
    failures = []
    for method, path in routes:
        for label, value in hostile.VALUES + hostile.NOT_OBJECTS:
            for where, data in hostile.api_bodies(value):
                response = client.open(
                    path,
                    method=method,
                    data=data,
                    content_type="application/json",
                    headers=credentials(path),
                )
                # What is hostile is never accepted; a plain value in a field may be, and a
                # DELETE reads no body.
                hostile_value = (label, value) in hostile.VALUES or where == "whole"
                refusal = hostile_value and method != "DELETE" and label != "empty body"
                failures.append(
                    _api_failure(f"{method} {path} {label} as {where}", path, response, refusal)
                )
    assert [f for f in failures if f] == []
    _no_personal_data(json_log)


def test_hostile_query_strings_and_path_values_at_every_get_route_are_never_a_5xx(
    apps: dict[str, Flask], credentials: Callable[[str], dict[str, str]], json_log: io.StringIO
) -> None:
    client = apps[CLOUD].test_client()
    routes = [p for m, p in _api_routes(apps[CLOUD]) if m == "GET"]
    assert len(routes) >= 10
    failures = []
    for path in routes:
        for label, value in hostile.QUERY_VALUES:
            query = "&".join(f"{name}={value}" for name in hostile.QUERY_NAMES)
            for where, url in (
                ("query", f"{path}?{query}"),
                ("path", path.replace("M0001", value)),
            ):
                response = client.get(url, headers=credentials(path))
                failures.append(
                    _api_failure(f"GET {path} {label} in {where}", path, response, False)
                )
    assert [f for f in failures if f] == []
    _no_personal_data(json_log)


def test_a_body_over_the_limit_is_413_with_1001_and_the_limit_named(apps: dict[str, Flask]) -> None:
    client = apps[CLOUD].test_client()
    answer = client.post(
        "/api/v1/patients",
        data=b'{"name":"' + b"1" * 20_000_000 + b'"}',
        content_type="application/json",
    )
    assert answer.status_code == 413
    assert answer.get_json() == {"result_code": "1001", "result_msg": "请求体过大：最多 65536 字节"}


@pytest.mark.parametrize("party", [GATEWAY, HIP, INSFE, CLOUD])
def test_an_unknown_url_is_404_with_the_not_found_code_in_chinese(
    apps: dict[str, Flask], party: str
) -> None:
    answer = apps[party].test_client().get("/no/such/place")
    assert answer.status_code == 404
    assert answer.get_json() == {"result_code": codes.NOT_FOUND, "result_msg": "请求的地址不存在"}


@pytest.mark.parametrize(
    ("party", "limit"),
    [(GATEWAY, 1_048_576), (HIP, 1_048_576), (INSFE, 1_048_576), (CLOUD, 65_536)],
)
def test_an_envelope_over_the_size_limit_is_a_signed_1001_naming_it(
    doors: dict[str, Door], party: str, limit: int
) -> None:
    door = doors[party]
    data = door.wrap(b'{"name":"' + b"x" * limit + b'"}')
    answer = door.client.post(door.path, data=data, content_type="application/json")
    head = answer.get_json()["header"]
    assert (answer.status_code, head["result_code"]) == (400, "1001")
    assert head["result_msg"] == f"请求体过大：最多 {limit} 字节" and head["sign"]
