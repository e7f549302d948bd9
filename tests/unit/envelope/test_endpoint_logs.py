"""An envelope endpoint logs what it refused without repeating what a stranger wrote: an
unverified header's trade code, msg_id and trace id reach a log line only as plain tokens."""

from __future__ import annotations

import io
import json
import logging

from envelope import EnvelopeEndpoint, KeyRing, Link, MemoryNonceStore, Verifier
from envelope.tracing import current_trace_id
from servicekit.logs import JsonFormatter

RING = KeyRing.from_settings("CLOUD", "k1", "a-test-secret")
ID_NUMBER, NAME = "110105198001010016", "张伟"


def test_a_forged_headers_name_and_id_number_never_reach_the_log() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    log = logging.getLogger("envelope")
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    endpoint = EnvelopeEndpoint(
        "HIP", Verifier([Link(RING, frozenset({"CLOUD"}))], MemoryNonceStore()), {}
    )
    forged = {"trade_code": NAME, "msg_id": f"CLOUD{ID_NUMBER}", "trace_id": f"t{ID_NUMBER}"}
    try:
        reply, code = endpoint.handle(json.dumps({"header": forged, "body": {}}).encode())
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    assert code == "1002" and reply["header"]["result_code"] == "1002"
    text = stream.getvalue()
    assert "envelope ? ? -> 1002" in text
    assert ID_NUMBER not in text and NAME not in text
    assert current_trace_id() == ""  # the claimed trace id was not bound either
