"""Alibaba Cloud RPC request signing, signature version 1.0 (HMAC-SHA1), as the public API
documents it and the official client (signature_algorithm "v2") computes it:

StringToSign = HTTPMethod & percentEncode("/") & percentEncode(canonicalized query), the
query being every parameter but Signature, sorted by name, each name and value
percent-encoded per RFC 3986; Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", it)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

SIGNATURE_METHOD = "HMAC-SHA1"
SIGNATURE_VERSION = "1.0"


def percent_encode(text: str) -> str:
    """RFC 3986 encoding of the UTF-8 bytes: only A-Z a-z 0-9 - _ . ~ stay as they are."""
    return quote(text, safe="~", encoding="utf-8")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """The text the signature covers, for a request with these parameters."""
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(value)}"
        for name, value in sorted(params.items())
        if name != "Signature"
    )
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """Base64 of HMAC-SHA1 over the string to sign, keyed by the secret and "&"."""
    key = f"{secret}&".encode()
    digest = hmac.new(key, string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def matches(method: str, params: Mapping[str, str], secret: str) -> bool:
    """True when the request's Signature is the one this secret gives, compared in constant
    time so the answer leaks nothing about how close a forgery came."""
    expected = signature(method, params, secret)
    return hmac.compare_digest(expected.encode(), params.get("Signature", "").encode())


def utc_timestamp(moment: datetime | None = None) -> str:
    """The Timestamp parameter: UTC, ISO 8601, as yyyy-MM-ddTHH:mm:ssZ."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_request(
    method: str,
    business: Mapping[str, str],
    access_key_id: str,
    secret: str,
    *,
    nonce: str | None = None,
    timestamp: str | None = None,
) -> dict[str, str]:
    """The common parameters added to ``business`` and the whole signed, as a client sends
    it (for tests and for trying the simulator by hand)."""
    params = {
        "AccessKeyId": access_key_id,
        "Format": "JSON",
        "SignatureMethod": SIGNATURE_METHOD,
        "SignatureNonce": nonce or uuid.uuid4().hex,
        "SignatureVersion": SIGNATURE_VERSION,
        "Timestamp": timestamp or utc_timestamp(),
        "Version": "2017-05-25",
        **business,
    }
    params["Signature"] = signature(method, params, secret)
    return params
