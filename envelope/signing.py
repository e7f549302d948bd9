"""HMAC-SHA256 over the canonical bytes of ``{"header": <header without sign>, "body": ...}``."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from envelope.canonical import canonical_bytes

SIGN_TYPE = "HMAC-SHA256"


def signing_bytes(header: dict[str, Any], body: Any) -> bytes:
    """The exact bytes that are signed: the envelope with ``sign`` left out."""
    unsigned = {k: v for k, v in header.items() if k != "sign"}
    return canonical_bytes({"header": unsigned, "body": body})


def compute_sign(header: dict[str, Any], body: Any, key: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of the signing bytes."""
    return hmac.new(key, signing_bytes(header, body), hashlib.sha256).hexdigest()


def sign_envelope(header: dict[str, Any], body: Any, key_id: str, key: bytes) -> dict[str, Any]:
    """Return a copy of the header with sign_type, key_id and sign set."""
    signed = dict(header)
    signed["sign_type"] = SIGN_TYPE
    signed["key_id"] = key_id
    signed.pop("sign", None)
    signed["sign"] = compute_sign(signed, body, key)
    return signed


def sign_matches(header: dict[str, Any], body: Any, key: bytes) -> bool:
    """Constant-time check of the header's sign."""
    given = header.get("sign")
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given, compute_sign(header, body, key))
