"""The sending side: a lost reply is 3003 (outcome unknown), a refused connection is not."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devstack.ports import free_port
from envelope import EnvelopeClient, KeyRing, Link, MemoryNonceStore, Verifier, codes
from envelope.server import EnvelopeEndpoint

RING = KeyRing.from_settings("HIP", "k1", "secret")


@pytest.fixture()
def slow_server() -> Iterator[str]:
    """A server that accepts and never answers in time."""

    @Request.application
    def app(request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/envelope"
    server.shutdown()


@pytest.fixture()
def echo_server() -> Iterator[str]:
    """A real envelope endpoint answering 1003 (patient info)."""
    endpoint = EnvelopeEndpoint(
        "HIP",
        Verifier([Link(RING, frozenset({"CLOUD"}))], MemoryNonceStore()),
        {"1003": lambda incoming: {"mrn": incoming.body["mrn"]}},
    )

    @Request.application
    def app(request: Request) -> Response:
        reply, code = endpoint.handle(request.get_data())
        import json

        return Response(
            json.dumps(reply), status=codes.http_status(code), content_type="application/json"
        )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/envelope"
    server.shutdown()


def _client(url: str, timeout: tuple[float, float] = (1.0, 5.0)) -> EnvelopeClient:
    return EnvelopeClient(
        url, RING, sender="CLOUD", receiver="HIP", hospital_code="H00001", timeout=timeout
    )


def test_a_verified_answer_comes_back(echo_server: str) -> None:
    reply = _client(echo_server).send("1003", {"mrn": "M1"})
    assert reply.ok and reply.body == {"mrn": "M1"}
    assert reply.header["ref_msg_id"]


def test_a_refusal_is_signed_and_carries_its_code(echo_server: str) -> None:
    reply = _client(echo_server).send("1003", {})
    assert reply.result_code == codes.BODY_INVALID


def test_an_unimplemented_code_is_1006(echo_server: str) -> None:
    assert _client(echo_server).send("1001", {"id_card_no": "x", "name": "y"}).result_code == (
        codes.UNKNOWN_TRADE_CODE
    )


def test_a_lost_reply_is_3003_outcome_unknown(slow_server: str) -> None:
    reply = _client(slow_server, timeout=(1.0, 0.2)).send("1003", {"mrn": "M1"})
    assert reply.result_code == codes.TIMED_OUT and reply.outcome_unknown


def test_a_refused_connection_never_arrived_and_is_3001() -> None:
    port = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    reply = _client(f"http://127.0.0.1:{port}/envelope").send("1003", {"mrn": "M1"})
    assert reply.result_code == codes.HIS_UNAVAILABLE
