"""Canonical bytes of an envelope: RFC 8785 (JCS) for the values this system uses.

For objects, arrays, strings, integers, booleans and null, JCS is exactly Python's
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``; floats are
refused because money is integer fen and a float has no single canonical text.

orjson writes the same bytes several times faster (keys sorted by code point, no spaces,
non-ASCII as UTF-8, the same escapes); an integer past 64 bits, which orjson cannot write,
and a lone surrogate, which has no UTF-8 form, take the json path and fare as they always
did (digits, or a UnicodeEncodeError). tests/unit/envelope/test_canonical_codec.py holds
the two to the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS


class NonCanonicalValue(ValueError):
    """Raised when a value has no canonical form in this system (a float, a set...)."""


def _check(value: Any) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return
    if isinstance(value, float):
        raise NonCanonicalValue("floats are not allowed; money is integer fen")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NonCanonicalValue("object keys must be strings")
            _check(item)
        return
    if isinstance(value, list):
        for item in value:
            _check(item)
        return
    raise NonCanonicalValue(f"unsupported type {type(value).__name__}")


def json_canonical_bytes(value: Any) -> bytes:
    """The canonical bytes by the standard library: the definition, and the slow path."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``."""
    _check(value)
    try:
        return orjson.dumps(value, option=_SORTED)
    except TypeError:  # orjson.JSONEncodeError: past 64 bits, or a lone surrogate
        return json_canonical_bytes(value)


def compact_bytes(value: Any) -> bytes:
    """JSON bytes to send: as canonical_bytes, keys in the order given (a signed envelope
    was checked when it was signed; the receiver reads any key order)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
