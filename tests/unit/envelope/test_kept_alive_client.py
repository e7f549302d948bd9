"""KeptAliveClient: one kept connection per thread and peer, the same outcomes as
EnvelopeClient (refused or not accepted in time: never sent; anything after: 3003)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from devstack.ports import free_port
from envelope import KeyRing, Link, MemoryNonceStore, Verifier, codes
from envelope.client import KeptAliveClient
from envelope.server import EnvelopeEndpoint
from tests.unit.envelope.test_client import slow_server

RING = KeyRing.from_settings("HIP", "k1", "secret")
__all__ = ["slow_server"]  # the fixture, shared with test_client


class Answering(BaseHTTPRequestHandler):
    """HTTP/1.1, kept alive unless the server says to drop each connection after one."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    endpoint: EnvelopeEndpoint
    one_request_each = False
    connections: list[int]
    garbage: bytes = b""

    def setup(self) -> None:
        super().setup()
        self.connections.append(1)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        reply, code = self.endpoint.handle(raw)
        payload = self.garbage or json.dumps(reply).encode()
        self.send_response(codes.http_status(code))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = self.one_request_each  # closed without saying so

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def _serve(**attributes: Any) -> Iterator[tuple[str, list[int]]]:
    endpoint = EnvelopeEndpoint(
        "HIP",
        Verifier([Link(RING, frozenset({"CLOUD"}))], MemoryNonceStore()),
        {"1003": lambda incoming: {"mrn": incoming.body["mrn"]}},
    )
    connections: list[int] = []
    handler = type("Handler", (Answering,), {"endpoint": endpoint, "connections": connections})
    for name, value in attributes.items():
        setattr(handler, name, value)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/envelope", connections
    server.shutdown()
    server.server_close()


@pytest.fixture()
def kept() -> Iterator[tuple[str, list[int]]]:
    yield from _serve()


@pytest.fixture()
def dropping() -> Iterator[tuple[str, list[int]]]:
    yield from _serve(one_request_each=True)


@pytest.fixture()
def garbling() -> Iterator[tuple[str, list[int]]]:
    yield from _serve(garbage=b'{"header": {"key_id": "k1"}, "body": {}}')


def _client(url: str, timeout: tuple[float, float] = (1.0, 5.0)) -> KeptAliveClient:
    return KeptAliveClient(
        url, RING, sender="CLOUD", receiver="HIP", hospital_code="H00001", timeout=timeout
    )


def test_answers_come_back_verified_over_one_kept_connection(
    kept: tuple[str, list[int]],
) -> None:
    url, connections = kept
    client = _client(url)
    for n in range(5):
        reply = client.send("1003", {"mrn": f"M{n}"})
        assert reply.ok and reply.body == {"mrn": f"M{n}"}
    assert client.send("1003", {}).result_code == codes.BODY_INVALID  # a 400 is an answer
    assert len(connections) == 1


def test_each_thread_keeps_its_own_connection(kept: tuple[str, list[int]]) -> None:
    url, connections = kept
    client = _client(url)
    codes_seen: list[str] = []

    def send() -> None:
        codes_seen.extend(client.send("1003", {"mrn": "M1"}).result_code for _ in range(3))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes_seen == [codes.SUCCESS] * 9 and len(connections) == 3


def test_a_connection_the_peer_closed_while_idle_is_replaced_not_taken_for_a_lost_answer(
    dropping: tuple[str, list[int]],
) -> None:
    url, connections = dropping
    client = _client(url)
    results = []
    for _ in range(3):
        results.append(client.send("1003", {"mrn": "M1"}).result_code)
        threading.Event().wait(0.05)  # the peer's close reaches this side
    assert results == [codes.SUCCESS] * 3 and len(connections) == 3


def test_a_refused_connection_never_arrived_and_is_3001() -> None:
    port = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    reply = _client(f"http://127.0.0.1:{port}/envelope").send("1003", {"mrn": "M1"})
    assert reply.result_code == codes.HIS_UNAVAILABLE


def test_a_connect_that_times_out_never_arrived(monkeypatch: pytest.MonkeyPatch) -> None:
    def unanswered(*args: object, **kwargs: object) -> socket.socket:
        raise TimeoutError("timed out")  # what create_connection raises when no SYN-ACK comes

    monkeypatch.setattr(socket, "create_connection", unanswered)
    reply = _client("http://127.0.0.1:9/envelope", timeout=(0.2, 1.0)).send("1003", {})
    assert reply.result_code == codes.HIS_UNAVAILABLE


def test_a_lost_reply_is_3003_outcome_unknown_and_the_next_call_reconnects(
    slow_server: str,
) -> None:
    client = _client(slow_server, timeout=(1.0, 0.2))
    assert client.send("1003", {"mrn": "M1"}).outcome_unknown
    assert client._local.conn is None  # a half-read connection is never reused


def test_an_answer_that_fails_verification_is_3003(garbling: tuple[str, list[int]]) -> None:
    url, _ = garbling
    assert _client(url).send("1003", {"mrn": "M1"}).result_code == codes.TIMED_OUT
