"""Canonical bytes (RFC 8785 for our values) and HMAC-SHA256 signing."""

from __future__ import annotations

import pytest

from envelope import NonCanonicalValue, canonical_bytes, compute_sign, sign_envelope, sign_matches


def test_canonical_bytes_sort_keys_and_keep_chinese_unescaped() -> None:
    assert canonical_bytes({"b": 1, "a": ["张伟", True, None]}) == (
        '{"a":["张伟",true,null],"b":1}'.encode()
    )


def test_canonical_bytes_sort_nested_objects() -> None:
    assert canonical_bytes({"z": {"y": 2, "x": 1}}) == b'{"z":{"x":1,"y":2}}'


def test_a_float_anywhere_is_refused() -> None:
    with pytest.raises(NonCanonicalValue):
        canonical_bytes({"amount": [1, 2.5]})


def test_known_vector_matches_the_documented_recipe() -> None:
    import hashlib
    import hmac
    import json

    header = {"trade_code": "1001", "msg_id": "CLOUD20261126120000abcd"}
    body = {"name": "张伟", "id_card_no": "110105198001010016"}
    expected = hmac.new(
        b"k",
        json.dumps(
            {"header": header, "body": body},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode(),
        hashlib.sha256,
    ).hexdigest()
    assert compute_sign(header, body, b"k") == expected


def test_signed_header_verifies_and_a_changed_body_does_not() -> None:
    header = sign_envelope({"trade_code": "1001"}, {"a": 1}, "kid", b"secret")
    assert header["key_id"] == "kid" and header["sign_type"] == "HMAC-SHA256"
    assert sign_matches(header, {"a": 1}, b"secret")
    assert not sign_matches(header, {"a": 2}, b"secret")
    assert not sign_matches(header, {"a": 1}, b"other")


def test_a_changed_header_field_breaks_the_signature() -> None:
    header = sign_envelope({"trade_code": "1001", "sender": "CLOUD"}, {}, "kid", b"s")
    assert not sign_matches({**header, "sender": "HIP"}, {}, b"s")
