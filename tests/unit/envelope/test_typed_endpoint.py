"""The endpoint served straight from WSGI hands handlers typed requests and takes typed
answers; the client asks with a typed request and reads a typed answer, an answer outside
the contract being 3003 (the peer may have acted), never a success."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY
from werkzeug.serving import make_server

from envelope import (
    CLOUD,
    HIP,
    EnvelopeClient,
    EnvelopeEndpoint,
    Incoming,
    KeyRing,
    Link,
    MemoryNonceStore,
    Verifier,
    codes,
)
from envelope.messages.cloud import NoticeAck, ReportReady, WindowRefund, WindowRefundAck
from envelope.messages.his import PatientInfo
from envelope.tracing import current_trace_id

RING = KeyRing.from_settings(HIP, "k1", "a-test-secret")
SEEN: list[Any] = []


def _refund(incoming: Incoming) -> WindowRefundAck:
    request = incoming.typed(WindowRefund)
    SEEN.append(request)
    return WindowRefundAck(ack=True, order_no=request.order_no, state="REFUNDED")


def _app(limit: int | None = None) -> Flask:
    app = Flask("typed_endpoint_test")
    if limit is not None:
        app.config["MAX_CONTENT_LENGTH"] = limit
    table = {
        "6001": lambda _incoming: {"ack": "yes"},  # outside the contract: ack is a bool
        "6003": _refund,
    }
    verifier = Verifier([Link(RING, frozenset({HIP}))], MemoryNonceStore())
    EnvelopeEndpoint(CLOUD, verifier, table).install(app)

    @app.get("/other")
    def other() -> str:
        return "flask"

    return app


@pytest.fixture()
def served() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, _app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/envelope"
    server.shutdown()


def _client(url: str) -> EnvelopeClient:
    return EnvelopeClient(url, RING, sender=HIP, receiver=CLOUD, hospital_code="H00001")


def _requests(status: str) -> float:
    labels = {"service": "typed_endpoint_test", "method": "POST", "route": "/envelope"}
    return REGISTRY.get_sample_value("http_requests_total", {**labels, "status": status}) or 0.0


def test_a_typed_request_reaches_the_handler_typed_and_its_typed_answer_comes_back(
    served: str,
) -> None:
    reply = _client(served).ask(WindowRefund(order_no="O1", refund_fen=100))
    answer = reply.answer(WindowRefundAck)
    assert answer.order_no == "O1" and answer.state == "REFUNDED" and answer.ack is True
    assert isinstance(reply.typed(), WindowRefundAck)
    assert SEEN[-1] == WindowRefund(order_no="O1", refund_fen=100)
    assert "refund_no" not in reply.body or reply.body["refund_no"] is None


def test_an_answer_outside_the_contract_is_3003_not_a_success(served: str) -> None:
    reply = _client(served).ask(ReportReady(mrn="M1", report_id="R1", kind="LAB"))
    assert reply.ok  # the peer said 0000, with an ack that is no bool
    with pytest.raises(codes.EnvelopeError) as unknown:
        reply.answer(NoticeAck)
    assert unknown.value.result_code == codes.TIMED_OUT and "ack" in unknown.value.result_msg


def test_a_refusal_is_raised_with_its_own_code(served: str) -> None:
    reply = _client(served).send("6003", {"order_no": "O1", "refund_fen": -5})
    assert reply.result_code == codes.BODY_INVALID and "refund_fen" in reply.result_msg
    with pytest.raises(codes.EnvelopeError) as refused:
        reply.answer(WindowRefundAck)
    assert refused.value.result_code == codes.BODY_INVALID


def test_the_endpoint_keeps_the_apps_size_limit_and_counts_what_it_answers() -> None:
    client = _app(limit=2048).test_client()
    before = _requests("400")
    envelope = _client("http://unused").build("6003", {"order_no": "O" * 4000})
    answered = client.post("/envelope", data=json.dumps(envelope))
    assert answered.status_code == 400
    assert answered.get_json()["header"]["result_code"] == codes.NOT_JSON
    assert "2048" in answered.get_json()["header"]["result_msg"]
    assert _requests("400") == before + 1 and current_trace_id() == ""


def test_other_requests_and_methods_go_on_to_flask() -> None:
    client = _app().test_client()
    assert client.get("/other").data == b"flask"
    assert client.get("/envelope").status_code == 405


def test_the_blueprint_still_serves_the_same_endpoint_through_flask() -> None:
    app = Flask("typed_blueprint_test")
    verifier = Verifier([Link(RING, frozenset({HIP}))], MemoryNonceStore())
    app.register_blueprint(EnvelopeEndpoint(CLOUD, verifier, {"6003": _refund}).blueprint())
    envelope = _client("http://unused").build("6003", {"order_no": "O2"})
    answered = app.test_client().post("/envelope", data=json.dumps(envelope))
    assert answered.get_json()["body"] == {
        "ack": True,
        "order_no": "O2",
        "state": "REFUNDED",
        "duplicate": None,
    }
    big = _client("http://unused").build("6003", {"order_no": "O" * (1024 * 1024)})
    refused = app.test_client().post("/envelope", data=json.dumps(big))
    assert refused.get_json()["header"]["result_code"] == codes.NOT_JSON


def test_a_typed_request_for_the_hospital_names_its_own_trade_code() -> None:
    envelope_body = PatientInfo(mrn="M1").model_dump(mode="json", exclude_none=True)
    assert PatientInfo.trade == "1003" and envelope_body == {"mrn": "M1"}
