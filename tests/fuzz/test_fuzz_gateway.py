"""Fuzzing the gateway with hypothesis: whatever bytes, headers or bodies arrive, the answer
is never a 5xx and always a signed envelope carrying a result code whose class the HTTP
status mirrors. Envelopes are signed with the right link key half the time, so bodies get
past the signature check and reach body validation, rate limits and the relay."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.serving import make_server

from envelope import CATALOGUE, CLOUD, GATEWAY, HIP, INSFE, codes, sign_envelope
from envelope.canonical import NonCanonicalValue
from envelope.header import request_header
from envelope.messages import Ack, request_model
from envelope.server import Handler, Incoming
from hospital_gateway import MIGRATIONS, create_app
from hospital_gateway.routes import ROUTES
from hospital_gateway.settings import Settings
from servicekit.db import migrate
from tests.integration.hospital_gateway.gateway_support import (
    HOSPITAL,
    RINGS,
    Backend,
    clear_rate_limits,
)

PARTIES = (CLOUD, GATEWAY, HIP, INSFE)
SLOW = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _answer_anything(_incoming: Incoming) -> dict[str, Any]:
    return {"ack": True}


def _backend(party: str, senders: frozenset[str]) -> Backend:
    served: dict[str, Handler] = {
        code: _answer_anything for code, e in CATALOGUE.items() if e.target == party
    }
    return Backend(party, RINGS[party], senders, served)


@pytest.fixture(scope="module")
def _answers_unchecked() -> Iterator[None]:
    """The backends answer every code with an ack, which no answer model of the HIS or the
    insurance frontend accepts: here the fuzz aims at what senders send, so the gateway takes
    any answer (its check of answers has its own tests, test_gateway_answer_contract)."""
    with pytest.MonkeyPatch.context() as patch:
        for trade in CATALOGUE:
            patch.setattr(request_model(trade), "answer", Ack)
        yield


@pytest.fixture(scope="module")
def gateway(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory, _answers_unchecked: None
) -> Iterator[FlaskClient]:
    """The gateway over real Redis, with backends that answer every code they serve."""
    backends = {
        HIP: _backend(HIP, frozenset({CLOUD})),
        INSFE: _backend(INSFE, frozenset({CLOUD})),
        CLOUD: _backend(CLOUD, frozenset({HIP, INSFE})),
    }
    servers = []
    for backend in backends.values():
        server = make_server("127.0.0.1", 0, backend.app(), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        backend.url = f"http://127.0.0.1:{server.server_port}/envelope"
        servers.append(server)
    database_url = f"sqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'gateway.db'}"
    migrate(database_url, MIGRATIONS)
    clear_rate_limits(redis_url)
    app = create_app(
        Settings(
            redis_url=redis_url,
            hospital_code=HOSPITAL,
            hip_envelope_url=backends[HIP].url,
            insfe_envelope_url=backends[INSFE].url,
            cloud_envelope_url=backends[CLOUD].url,
            cloud_ring=RINGS[CLOUD],
            hip_ring=RINGS[HIP],
            insfe_ring=RINGS[INSFE],
            database_url=database_url,
            max_envelope_bytes=64 * 1024,
        )
    )
    yield app.test_client()
    for server in servers:
        server.shutdown()


def _check(gateway: FlaskClient, data: bytes) -> str:
    response = gateway.post("/gateway", data=data, content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)
    answer = response.get_json()
    code = answer["header"]["result_code"]
    assert isinstance(code, str) and len(code) == 4 and code.isdigit()
    assert response.status_code == codes.http_status(code)
    assert answer["header"]["result_msg"]
    return str(code)


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.text(max_size=30)
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def bodies(draw: st.DrawFn, trade_code: str) -> Any:
    """A body with the catalogue's field names for the code, filled with anything."""
    entry = CATALOGUE.get(trade_code)
    if entry is None or draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    body: dict[str, Any] = {}
    for name, info in request_model(entry.code).model_fields.items():
        kind = "date" if name.endswith("date") else "str" if info.annotation is str else ""
        if draw(st.integers(0, 4)) == 0:
            continue  # a field left out
        if kind == "date":
            body[name] = draw(st.dates().map(str) | st.text(max_size=12))
        elif kind == "str" and draw(st.booleans()):
            body[name] = draw(st.text(min_size=1, max_size=20))
        else:
            body[name] = draw(json_values)
    extra = draw(st.dictionaries(st.text(max_size=8), json_values, max_size=2))
    return {**extra, **body}


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """An envelope, often well formed and correctly signed, with fields bent at random."""
    if draw(st.integers(0, 3)):  # mostly a permitted crossing, so bodies get validated
        route = draw(
            st.sampled_from(sorted(ROUTES.values(), key=lambda r: (r.trade_code, r.sender)))
        )
        trade_code, sender, receiver = route.trade_code, route.sender, route.target
    else:
        trade_code = draw(st.sampled_from(sorted(CATALOGUE)) | st.text(max_size=6))
        sender = draw(st.sampled_from(PARTIES))
        receiver = draw(st.sampled_from(PARTIES))
    head = request_header(
        trade_code=trade_code,
        sender=sender,
        receiver=receiver,
        hospital_code=HOSPITAL,
        channel=draw(st.sampled_from(("APP", "SYSTEM", "WECHAT", "PHONE"))),
        operator="fuzz",
    )
    if draw(st.integers(0, 4)) == 0:
        head[draw(st.sampled_from(sorted(head)))] = draw(json_values)
    body = draw(bodies(trade_code))
    ring = RINGS.get(sender, RINGS[CLOUD])
    try:
        signed = sign_envelope(head, body, ring.active_key_id, ring.active_key)
    except (NonCanonicalValue, TypeError):
        signed = {**head, "sign_type": "HMAC-SHA256", "key_id": ring.active_key_id}
        signed["sign"] = "0" * 64
    if draw(st.integers(0, 7)) == 0:
        signed["sign"] = draw(st.sampled_from(("0" * 64, "x", 1)))
    return {"header": signed, "body": body}


@SLOW
@given(envelope=envelopes())
def test_any_envelope_gets_a_result_code_and_never_a_5xx(
    gateway: FlaskClient, envelope: dict[str, Any]
) -> None:
    _check(gateway, json.dumps(envelope, ensure_ascii=False).encode("utf-8"))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_get_a_result_code_and_never_a_5xx(gateway: FlaskClient, data: bytes) -> None:
    assert _check(gateway, data)[0] == "1"


def test_valid_envelopes_from_the_fuzzer_really_reach_the_backends(gateway: FlaskClient) -> None:
    """The fuzzer's signed envelopes are not all refused: the harness can see a success."""
    head = request_header(
        trade_code="2001",
        sender=CLOUD,
        receiver=HIP,
        hospital_code=HOSPITAL,
        channel="APP",
        operator="fuzz",
    )
    ring = RINGS[CLOUD]
    envelope = {"header": sign_envelope(head, {}, ring.active_key_id, ring.active_key), "body": {}}
    assert _check(gateway, json.dumps(envelope).encode()) == codes.SUCCESS
