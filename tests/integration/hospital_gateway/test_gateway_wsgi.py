"""POST /gateway is answered straight from WSGI: the size limit without a length, every other
request on to Flask, a JSON 9999 for an error, the HTTP metrics still counted."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from envelope import CLOUD, HIP
from hospital_gateway import SERVICE, Deps
from servicekit.web import INTERNAL_MESSAGE
from tests.integration.hospital_gateway.gateway_support import Backend, post, sender


def _requests(status: str) -> float:
    labels = {"service": SERVICE, "method": "POST", "route": "/gateway", "status": status}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


def test_a_body_without_a_length_is_read_no_further_than_past_the_limit(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(max_envelope_bytes=4096)
    wsgi = gateway.application.wsgi_app  # a chunked body: no CONTENT_LENGTH, ended by gunicorn
    answers: list[str] = []

    def call(raw: bytes) -> tuple[dict[str, Any], io.BytesIO]:
        stream = io.BytesIO(raw)
        environ = {
            "PATH_INFO": "/gateway",
            "REQUEST_METHOD": "POST",
            "wsgi.input": stream,
            "wsgi.input_terminated": True,
        }
        body = b"".join(wsgi(environ, lambda status, headers: answers.append(status)))
        return json.loads(body), stream

    big = json.dumps(sender(CLOUD, HIP).build("2001", {"pad": "x" * 5000})).encode()
    answer, stream = call(big)
    assert answers[-1] == "400 Bad Request" and answer["header"]["result_code"] == "1001"
    assert stream.tell() <= 4097 < len(big) and backends[HIP].count == 0
    answer, _ = call(json.dumps(sender(CLOUD, HIP).build("2001", {})).encode())
    assert answers[-1] == "200 OK" and answer["header"]["result_code"] == "0000"
    assert backends[HIP].count == 1


def test_other_requests_go_on_to_flask(gateway: FlaskClient) -> None:
    assert gateway.get("/healthz").get_json()["service"] == SERVICE
    refused = gateway.get("/gateway")
    assert refused.status_code == 404 and refused.get_json()["result_code"] == "1010"
    assert gateway.post("/gateway/", data=b"{}").status_code == 404


def test_an_error_past_the_relay_is_a_json_9999_without_a_trace(
    gateway: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps: Deps = gateway.application.extensions[SERVICE]

    def broken(raw: bytes) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(deps.relay, "handle", broken)
    before = _requests("500")
    answer = gateway.post("/gateway", data=b"{}", content_type="application/json")
    assert answer.status_code == 500
    assert answer.get_json() == {"result_code": "9999", "result_msg": INTERNAL_MESSAGE}
    assert b"secret" not in answer.data and _requests("500") == before + 1


def test_relayed_messages_are_counted_by_status(gateway: FlaskClient) -> None:
    before = _requests("200")
    status, answer = post(gateway, sender(CLOUD, HIP).build("2001", {}))
    assert (status, answer["header"]["result_code"]) == (200, "0000")
    assert _requests("200") == before + 1
    assert answer["header"]["sign"]


def test_a_body_without_a_length_from_a_server_that_does_not_end_it_is_not_read(
    gateway: FlaskClient,
) -> None:
    """A server that does not end the input (no wsgi.input_terminated) could leave a read
    without a length waiting for ever: the body counts as empty and is refused (1001)."""
    stream = io.BytesIO(json.dumps(sender(CLOUD, HIP).build("2001", {})).encode())
    environ = {"PATH_INFO": "/gateway", "REQUEST_METHOD": "POST", "wsgi.input": stream}
    statuses: list[str] = []
    body = b"".join(gateway.application.wsgi_app(environ, lambda s, h: statuses.append(s)))
    assert statuses == ["400 Bad Request"] and json.loads(body)["header"]["result_code"] == "1001"
    assert stream.tell() == 0


def _envelopes(trade_code: str, result_code: str) -> float:
    labels = {"service": SERVICE, "trade_code": trade_code, "result_code": result_code}
    return REGISTRY.get_sample_value("envelope_requests_total", labels) or 0.0


def test_every_answer_is_counted_by_trade_code_and_result_refusals_included(
    make_gateway: Callable[..., FlaskClient],
) -> None:
    gateway = make_gateway(max_envelope_bytes=4096)
    relayed, too_large = _envelopes("2001", "0000"), _envelopes("invalid", "1001")
    post(gateway, sender(CLOUD, HIP).build("2001", {}))
    post(gateway, json.dumps(sender(CLOUD, HIP).build("2001", {"pad": "x" * 5000})).encode())
    assert _envelopes("2001", "0000") == relayed + 1
    assert _envelopes("invalid", "1001") == too_large + 1
