"""The receiving checks in order: 1001, 1002, 1003, 1004, 1005, and the route rules."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from envelope import (
    EnvelopeClient,
    EnvelopeError,
    KeyRing,
    Link,
    MemoryNonceStore,
    Verifier,
    catalogue,
    clock,
    codes,
)
from envelope.messages import validate_request
from envelope.signing import sign_envelope
from envelope.trades import Trade
from envelope.verify import parse

RING = KeyRing.from_settings("CLOUD", "k1", "secret-one")


def _client(ring: KeyRing = RING) -> EnvelopeClient:
    return EnvelopeClient(
        "http://unused", ring, sender="CLOUD", receiver="HIP", hospital_code="H00001"
    )


def _verifier() -> Verifier:
    return Verifier([Link(RING, frozenset({"CLOUD"}))], MemoryNonceStore())


def _code(action) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(EnvelopeError) as caught:
        action()
    return caught.value.result_code


def test_a_good_envelope_passes_and_names_its_link() -> None:
    env = _client().build("1001", {"id_card_no": "x", "name": "y"})
    assert _verifier().verify(env["header"], env["body"]) is RING


def test_not_json_is_1001() -> None:
    assert _code(lambda: parse(b"{not json")) == codes.NOT_JSON
    assert _code(lambda: parse(b"[1, 2]")) == codes.NOT_JSON


def test_a_missing_header_field_is_1002() -> None:
    env = _client().build("1001", {})
    del env["header"]["nonce"]
    assert _code(lambda: _verifier().verify(env["header"], env["body"])) == codes.BAD_FIELD


def test_tampered_body_and_wrong_key_are_1003() -> None:
    env = _client().build("1001", {"name": "a"})
    assert _code(lambda: _verifier().verify(env["header"], {"name": "b"})) == codes.BAD_SIGNATURE
    wrong = _client(KeyRing.from_settings("CLOUD", "k1", "not-the-secret")).build("1001", {})
    assert _code(lambda: _verifier().verify(wrong["header"], {})) == codes.BAD_SIGNATURE


def test_stale_timestamp_is_1004() -> None:
    env = _client().build("1001", {})
    head = dict(env["header"])
    head["timestamp"] = clock.iso(clock.now() - timedelta(seconds=301))
    head = sign_envelope(head, {}, "k1", b"secret-one")
    assert _code(lambda: _verifier().verify(head, {})) == codes.STALE_TIMESTAMP


def test_replayed_nonce_is_1005() -> None:
    verifier = _verifier()
    env = _client().build("1001", {})
    verifier.verify(env["header"], env["body"])
    assert _code(lambda: verifier.verify(env["header"], env["body"])) == codes.REPLAYED_NONCE


def test_a_float_in_the_body_is_refused_before_the_signature_is_checked() -> None:
    env = _client().build("1001", {})
    assert _code(lambda: _verifier().verify(env["header"], {"x": 1.5})) == codes.BODY_INVALID


def test_previous_key_still_verifies_during_rotation() -> None:
    rotated = KeyRing.from_settings("CLOUD", "k2", "secret-two", "k1:secret-one")
    env = _client(RING).build("1001", {})
    verifier = Verifier([Link(rotated, frozenset({"CLOUD"}))], MemoryNonceStore())
    assert verifier.verify(env["header"], env["body"]) is rotated


def test_route_rules_of_the_catalogue() -> None:
    assert catalogue.route_allowed(catalogue.lookup("1001"), "CLOUD")
    assert not catalogue.route_allowed(catalogue.lookup("4001"), "CLOUD")
    assert not catalogue.route_allowed(catalogue.lookup("4002"), "CLOUD")
    assert catalogue.route_allowed(catalogue.lookup("6001"), "HIP")
    assert not catalogue.route_allowed(catalogue.lookup("6001"), "CLOUD")
    assert not catalogue.route_allowed(catalogue.lookup("2001"), "HIP")
    assert _code(lambda: catalogue.lookup("7777")) == codes.UNKNOWN_TRADE_CODE


def test_body_validation_names_the_missing_field() -> None:
    with pytest.raises(EnvelopeError) as caught:
        validate_request(Trade.LOCK_SLOT, {"schedule_id": "S1", "mrn": "M"})
    assert caught.value.result_code == codes.BODY_INVALID
    assert "order_no" in caught.value.result_msg


def test_the_catalogue_has_the_34_codes_and_section_12s_three() -> None:
    assert len(catalogue.CATALOGUE) == 37
    assert {"3006", "6004", "6005"} <= set(catalogue.CATALOGUE)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("0000", 200),
        ("2002", 200),
        ("1001", 400),
        ("1002", 400),
        ("1006", 400),
        ("1009", 400),
        ("1003", 401),
        ("1004", 401),
        ("1005", 401),
        ("1007", 403),
        ("1008", 429),
        ("3001", 502),
        ("3003", 504),
        ("9999", 500),
    ],
)
def test_http_status_mirrors_the_result_code(code: str, status: int) -> None:
    assert codes.http_status(code) == status


def test_built_envelope_is_plain_json() -> None:
    env = _client().build("1001", {"name": "张伟"})
    assert json.loads(json.dumps(env, ensure_ascii=False)) == env
