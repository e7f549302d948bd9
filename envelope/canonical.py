"""Canonical bytes of an envelope: RFC 8785 (JCS) for the values this system uses.

For objects, arrays, strings, integers, booleans and null, JCS is exactly Python's
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``; floats are
refused because money is integer fen and a float has no single canonical text.
"""

from __future__ import annotations

import json
from typing import Any


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


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``."""
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )
