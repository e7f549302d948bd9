"""Refusals: each is a signed envelope, and nothing behind the gateway ever sees the message."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from envelope import CLOUD, HIP, INSFE, KeyRing, sign_envelope, sign_matches
from envelope.clock import iso, now
from tests.integration.hospital_gateway.gateway_support import (
    ID_CARD_NO,
    NAME,
    RINGS,
    Backend,
    audit_of,
    post,
    sender,
)

Envelope = dict[str, Any]


def _patient_query() -> Envelope:
    return sender(CLOUD, HIP).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME})


def tampered_body() -> Envelope:
    envelope = _patient_query()
    envelope["body"]["id_card_no"] = "110105199001010011"
    return envelope


def wrong_key() -> Envelope:
    forged = KeyRing.from_settings(CLOUD, RINGS[CLOUD].active_key_id, "guessed-secret")
    return sender(CLOUD, HIP, forged).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME})


def hip_key_from_the_internet() -> Envelope:
    return sender(CLOUD, HIP, RINGS[HIP]).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME})


def stale_timestamp() -> Envelope:
    envelope = _patient_query()
    head = {**envelope["header"], "timestamp": iso(now() - timedelta(seconds=301))}
    ring = RINGS[CLOUD]
    return {
        "header": sign_envelope(head, envelope["body"], ring.active_key_id, ring.active_key),
        "body": envelope["body"],
    }


def other_hospital() -> Envelope:
    envelope = _patient_query()
    head = {**envelope["header"], "hospital_code": "H99999"}
    ring = RINGS[CLOUD]
    return {
        "header": sign_envelope(head, envelope["body"], ring.active_key_id, ring.active_key),
        "body": envelope["body"],
    }


REFUSALS: dict[str, tuple[Callable[[], Envelope | bytes], str, int]] = {
    "not_json": (lambda: b"{not json", "1001", 400),
    "no_body": (lambda: b'{"header": {}}', "1001", 400),
    "missing_header_field": (
        lambda: {
            "header": {k: v for k, v in _patient_query()["header"].items() if k != "nonce"},
            "body": {},
        },
        "1002",
        400,
    ),
    "other_hospital": (other_hospital, "1002", 400),
    "tampered_body": (tampered_body, "1003", 401),
    "wrong_key": (wrong_key, "1003", 401),
    "hip_key_from_the_internet": (hip_key_from_the_internet, "1003", 401),
    "stale_timestamp": (stale_timestamp, "1004", 401),
    "unknown_trade_code": (lambda: sender(CLOUD, HIP).build("7001", {}), "1006", 400),
    "sign_in_from_cloud": (
        lambda: sender(CLOUD, INSFE).build("4001", {"operator": "x"}),
        "1007",
        403,
    ),
    "sign_out_from_cloud": (
        lambda: sender(CLOUD, INSFE).build("4002", {"sign_no": "S1"}),
        "1007",
        403,
    ),
    "notice_from_cloud": (
        lambda: sender(CLOUD, CLOUD).build("6001", {"mrn": "M", "report_id": "R", "kind": "L"}),
        "1007",
        403,
    ),
    "department_list_from_hip": (lambda: sender(HIP, HIP).build("2001", {}), "1007", 403),
    "patient_query_addressed_to_insfe": (
        lambda: sender(CLOUD, INSFE).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME}),
        "1007",
        403,
    ),
    "missing_required_field": (
        lambda: sender(CLOUD, HIP).build("1001", {"id_card_no": ID_CARD_NO}),
        "1009",
        400,
    ),
    "bad_date": (
        lambda: sender(CLOUD, HIP).build(
            "2003", {"start_date": "2026/11/26", "end_date": "2026-11-27"}
        ),
        "1009",
        400,
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refused_message_gets_a_signed_refusal_and_reaches_nothing_behind_the_gateway(
    case: str, gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    make, result_code, http_status = REFUSALS[case]
    envelope = make()
    status, answer = post(gateway, envelope)
    head = answer["header"]
    assert (status, head["result_code"]) == (http_status, result_code), head["result_msg"]
    assert head["msg_id"].startswith("GATEWAY")
    ring = RINGS[HIP] if case == "department_list_from_hip" else RINGS[CLOUD]
    assert head["key_id"] == ring.active_key_id
    assert sign_matches(head, answer["body"], ring.active_key)
    assert sum(backend.count for backend in backends.values()) == 0
    if isinstance(envelope, dict) and "trace_id" in envelope["header"]:
        assert head["ref_msg_id"] == envelope["header"]["msg_id"]
        records = audit_of(gateway, envelope["header"]["trace_id"])
        assert [(r["direction"], r["result_code"]) for r in records] == [("IN", result_code)]


def test_replayed_nonce_is_rejected_with_1005_and_relayed_only_once(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = _patient_query()
    first_status, first = post(gateway, envelope)
    second_status, second = post(gateway, envelope)
    assert (first_status, first["header"]["result_code"]) == (200, "0000")
    assert (second_status, second["header"]["result_code"]) == (401, "1005")
    assert backends[HIP].count == 1


def test_forged_message_does_not_burn_the_nonce(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    genuine = _patient_query()
    forged = {"header": {**genuine["header"], "sign": "0" * 64}, "body": genuine["body"]}
    assert post(gateway, forged)[1]["header"]["result_code"] == "1003"
    assert post(gateway, genuine)[1]["header"]["result_code"] == "0000"
    assert backends[HIP].count == 1


def test_oversized_request_is_refused_with_a_signed_1001(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    padding = json.dumps({"header": {}, "body": {"x": "y" * (2 * 1024 * 1024)}}).encode()
    status, answer = post(gateway, padding)
    assert (status, answer["header"]["result_code"]) == (400, "1001")
    assert sign_matches(answer["header"], answer["body"], RINGS[CLOUD].active_key)
    assert sum(backend.count for backend in backends.values()) == 0
