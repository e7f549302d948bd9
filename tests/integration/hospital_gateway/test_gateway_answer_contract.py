"""The gateway checks a 0000 answer against its trade code's answer model before passing
it on: a HIS (or cloud) answer outside the contract never reaches the sender as 0000, nor
as a failure (the answering zone may have committed it), but as 3003: query, then retry.
Both sides are audited (the next zone's 0000 OUT, the 3003 given IN) and counted."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from werkzeug.serving import make_server

from envelope import CLOUD, HIP, INSFE, Incoming
from envelope.header import response_header
from envelope.messages import Fen, Message, Text
from envelope.messages.his import UnpaidBills
from tests.integration.hospital_gateway.gateway_support import (
    RINGS,
    Backend,
    audit_of,
    post,
    sender,
)

GOOD = {"bills": [{"bill_no": "B1", "amount": 1200, "dept": "内科"}], "bills_digest": "d1"}
ANSWERS: dict[str, Any] = {"3001": GOOD, "6001": {"ack": True}}


class Bill(Message):
    """A bill as the test's contract of 3001 has it."""

    bill_no: Text
    amount: Fen


class Bills(Message):
    """3001's answer in this test: bills with fen amounts and their digest."""

    bills: list[Bill]
    bills_digest: Text


def _answer(code: str) -> Callable[[Incoming], Any]:
    return lambda _incoming: ANSWERS[code]


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, Backend]]:
    """HIP answering 3001 and the cloud answering 6001 with whatever ANSWERS holds."""
    made = {
        HIP: Backend(HIP, RINGS[HIP], frozenset({CLOUD}), {"3001": _answer("3001")}),
        INSFE: Backend(INSFE, RINGS[INSFE], frozenset({CLOUD}), {}),
        CLOUD: Backend(CLOUD, RINGS[CLOUD], frozenset({HIP, INSFE}), {"6001": _answer("6001")}),
    }
    servers = []
    for backend in made.values():
        server = make_server("127.0.0.1", 0, backend.app(), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        backend.url = f"http://127.0.0.1:{server.server_port}/envelope"
        servers.append(server)
    yield made
    for server in servers:
        server.shutdown()


@pytest.fixture(autouse=True)
def _contract(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(UnpaidBills, "answer", Bills)
    yield
    ANSWERS.update({"3001": GOOD, "6001": {"ack": True}})


def _outside(trade_code: str, downstream: str) -> float:
    labels = {"trade_code": trade_code, "downstream": downstream}
    return REGISTRY.get_sample_value("gateway_answers_outside_contract_total", labels) or 0.0


def _bills(gateway: FlaskClient) -> tuple[int, dict[str, Any], str]:
    envelope = sender(CLOUD, HIP).build("3001", {"mrn": "M0001"})
    status, answer = post(gateway, envelope)
    return status, answer, envelope["header"]["trace_id"]


def test_an_answer_within_the_contract_is_passed_on_as_written(gateway: FlaskClient) -> None:
    status, answer, _ = _bills(gateway)
    assert (status, answer["header"]["result_code"]) == (200, "0000")
    assert answer["body"] == GOOD  # fields the contract does not name go on too


@pytest.mark.parametrize(
    "bills",
    [
        {"bills": [{"bill_no": "B1", "amount": 1200}]},  # no bills_digest
        {**GOOD, "bills": [{"bill_no": "B1", "amount": True}]},  # a bool for an int
        {**GOOD, "bills": [{"bill_no": "B1", "amount": "1200"}]},  # a string of digits
        {**GOOD, "bills": [{"bill_no": "B1", "amount": -1200}]},  # a negative fen
        {**GOOD, "bills": [{"bill_no": "B1", "amount": {"fen": 1200}}]},  # extra nesting
        {**GOOD, "bills": [[{"bill_no": "B1", "amount": 1200}]]},  # a list in a list
        {**GOOD, "bills": {"bill_no": "B1", "amount": 1200}},  # an object for the list
        {**GOOD, "bills": [{"bill_no": "", "amount": 1200}]},  # an empty bill number
    ],
)
def test_a_his_answer_outside_the_contract_reaches_the_cloud_as_3003_never_0000(
    gateway: FlaskClient, backends: dict[str, Backend], bills: dict[str, Any]
) -> None:
    ANSWERS["3001"] = bills
    before = _outside("3001", HIP)
    status, answer, trace_id = _bills(gateway)
    assert backends[HIP].results == ["0000"]  # the HIS did answer 0000 (it may have acted)
    assert (status, answer["header"]["result_code"]) == (504, "3003")
    assert "不符合接口约定" in answer["header"]["result_msg"] and answer["body"] == {}
    assert "请先查询" in answer["header"]["result_msg"]
    received, relayed = audit_of(gateway, trace_id)
    assert (received["direction"], received["result_code"]) == ("IN", "3003")
    assert (relayed["direction"], relayed["result_code"]) == ("OUT", "0000")
    assert _outside("3001", HIP) == before + 1


def test_a_cloud_answer_outside_the_contract_reaches_the_his_as_3003(
    gateway: FlaskClient,
) -> None:
    ANSWERS["6001"] = {"ack": "yes"}
    before = _outside("6001", CLOUD)
    notice = sender(HIP, CLOUD).build("6001", {"mrn": "M0001", "report_id": "R1", "kind": "LAB"})
    status, answer = post(gateway, notice)
    assert (status, answer["header"]["result_code"]) == (504, "3003")
    assert "ack" in answer["header"]["result_msg"] and _outside("6001", CLOUD) == before + 1


def test_a_refusal_is_passed_on_unchecked(gateway: FlaskClient) -> None:
    ANSWERS["6001"] = {"ack": True}
    notice = sender(HIP, CLOUD).build("6001", {"mrn": "M0001", "report_id": "R1", "kind": "LAB"})
    assert post(gateway, notice)[1]["header"]["result_code"] == "0000"


@pytest.mark.parametrize("amount", [b"12.5", b"1200.0", b"1.2e3"])
def test_a_his_answer_signed_over_a_float_amount_is_3003_never_0000(
    make_gateway: Callable[..., FlaskClient], amount: bytes
) -> None:
    """A HIS in another language may sign the text it wrote; a float still has no
    canonical bytes here, so its answer cannot verify and its outcome stays unknown."""
    server = make_server("127.0.0.1", 0, _float_his(amount), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gateway = make_gateway(hip_envelope_url=f"http://127.0.0.1:{server.server_port}/")
        status, answer, _ = _bills(gateway)
    finally:
        server.shutdown()
    assert (status, answer["header"]["result_code"]) == (504, "3003")
    assert answer["body"] == {}


def _float_his(amount: bytes) -> Callable[..., Any]:
    """A HIS answering 3001 with the amount as written, signed over the bytes it sent."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        asked = json.loads(environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"])))
        head = response_header(
            trade_code="3001",
            ref_msg_id=asked["header"]["msg_id"],
            result_code="0000",
            result_msg="success",
            trace_id=asked["header"]["trace_id"],
            sender=HIP,
        )
        head.update(sign_type="HMAC-SHA256", key_id=RINGS[HIP].active_key_id)
        body = b'{"bills":[{"amount":%s,"bill_no":"B1"}],"bills_digest":"d1"}' % amount
        signed = b'{"body":%s,"header":%s}' % (body, _jcs(head))
        head["sign"] = hmac.new(RINGS[HIP].active_key, signed, hashlib.sha256).hexdigest()
        payload = b'{"body":%s,"header":%s}' % (body, _jcs(head))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [payload]

    return app


def _jcs(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
