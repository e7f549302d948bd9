"""Relaying through the gateway: the header goes on as written, re-signed for each link."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from devstack.ports import free_port
from envelope import CLOUD, HIP, INSFE, KeyRing, sign_matches
from tests.integration.hospital_gateway.gateway_support import (
    ID_CARD_NO,
    NAME,
    RINGS,
    SLOW_SECONDS,
    Backend,
    audit_of,
    post,
    sender,
)

SIGNED_FIELDS = ("msg_id", "nonce", "trace_id", "sender", "receiver", "timestamp", "trade_code")


def signed_with(ring: KeyRing, answer: dict[str, Any]) -> bool:
    """True when the answer verifies with the ring's active key."""
    head = answer["header"]
    return head["key_id"] == ring.active_key_id and sign_matches(
        head, answer["body"], ring.active_key
    )


def test_patient_query_reaches_hip_and_answer_comes_back_signed_with_the_cloud_key(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = sender(CLOUD, HIP).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME})
    status, answer = post(gateway, envelope)
    assert status == 200
    assert answer["header"]["result_code"] == "0000"
    assert answer["header"]["ref_msg_id"] == envelope["header"]["msg_id"]
    assert answer["header"]["trace_id"] == envelope["header"]["trace_id"]
    assert answer["body"]["mrn"] == "M0001"
    assert signed_with(RINGS[CLOUD], answer)
    assert (backends[HIP].count, backends[INSFE].count, backends[CLOUD].count) == (1, 0, 0)
    assert backends[HIP].results == ["0000"]


def test_hip_sees_the_cloud_header_unchanged_but_signed_with_the_hip_key(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = sender(CLOUD, HIP).build("2001", {})
    post(gateway, envelope)
    (seen,) = backends[HIP].received
    for name in SIGNED_FIELDS:
        assert seen["header"][name] == envelope["header"][name]
    assert seen["header"]["key_id"] == RINGS[HIP].active_key_id
    assert signed_with(RINGS[HIP], seen)


def test_business_refusal_from_hip_passes_through_with_http_200(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = sender(CLOUD, HIP).build("1001", {"id_card_no": "110105199001010011", "name": NAME})
    status, answer = post(gateway, envelope)
    assert (status, answer["header"]["result_code"]) == (200, "2001")
    assert signed_with(RINGS[CLOUD], answer)


def test_insured_person_info_goes_to_insfe(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = sender(CLOUD, INSFE).build("4003", {"id_card_no": ID_CARD_NO, "name": NAME})
    status, answer = post(gateway, envelope)
    assert (status, answer["header"]["result_code"]) == (200, "0000")
    assert answer["body"]["psn_no"] == "PSN0001"
    assert signed_with(RINGS[CLOUD], answer)
    assert (backends[HIP].count, backends[INSFE].count) == (0, 1)
    assert backends[INSFE].results == ["0000"]


def test_report_ready_from_hip_goes_to_the_cloud_and_answer_is_signed_for_hip(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = sender(HIP, CLOUD).build("6001", {"mrn": "M0001", "report_id": "R1", "kind": "LAB"})
    status, answer = post(gateway, envelope)
    assert (status, answer["header"]["result_code"]) == (200, "0000")
    assert answer["header"]["ref_msg_id"] == envelope["header"]["msg_id"]
    assert signed_with(RINGS[HIP], answer)
    (seen,) = backends[CLOUD].received
    assert seen["header"]["sender"] == HIP
    assert signed_with(RINGS[CLOUD], seen)
    assert backends[CLOUD].results == ["0000"]


def test_notice_from_insfe_goes_to_the_cloud(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = sender(INSFE, CLOUD).build("6001", {"mrn": "M1", "report_id": "R1", "kind": "X"})
    status, answer = post(gateway, envelope)
    assert (status, answer["header"]["result_code"]) == (200, "0000")
    assert signed_with(RINGS[INSFE], answer)
    assert backends[CLOUD].results == ["0000"]


def test_backend_hanging_past_the_read_timeout_gives_3003_signed_by_the_gateway(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = sender(CLOUD, HIP).build("1003", {"mrn": "M0001"})
    started = time.monotonic()
    status, answer = post(gateway, envelope)
    assert time.monotonic() - started < SLOW_SECONDS
    assert (status, answer["header"]["result_code"]) == (504, "3003")
    assert answer["header"]["ref_msg_id"] == envelope["header"]["msg_id"]
    assert answer["header"]["msg_id"].startswith("GATEWAY")
    assert signed_with(RINGS[CLOUD], answer)
    assert backends[HIP].count == 1
    records = audit_of(gateway, envelope["header"]["trace_id"])
    assert [(r["direction"], r["result_code"]) for r in records] == [
        ("IN", "3003"),
        ("OUT", "3003"),
    ]


def test_backend_that_is_down_gives_3001(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(hip_envelope_url=f"http://127.0.0.1:{free_port()}/envelope")
    envelope = sender(CLOUD, HIP).build("2001", {})
    status, answer = post(gateway, envelope)
    assert (status, answer["header"]["result_code"]) == (502, "3001")
    assert answer["header"]["ref_msg_id"] == envelope["header"]["msg_id"]
    assert signed_with(RINGS[CLOUD], answer)
    assert backends[HIP].count == 0


def test_insurance_frontend_down_gives_3002(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(insfe_envelope_url=f"http://127.0.0.1:{free_port()}/envelope")
    envelope = sender(CLOUD, INSFE).build("4007", {"order_no": "O1"})
    status, answer = post(gateway, envelope)
    assert (status, answer["header"]["result_code"]) == (502, "3002")
