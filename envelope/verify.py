"""Accepting an envelope: parse (1001), header (1002), signature (1003), time (1004), nonce (1005).

The signature is checked before the nonce is remembered, so a forger cannot burn nonces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from envelope import codes, decoding
from envelope.header import check_request_header
from envelope.keys import KeyRing
from envelope.replay import NonceStore, check_nonce, check_timestamp
from envelope.signing import SIGN_TYPE, sign_matches


@dataclass(frozen=True)
class Link:
    """A link a service accepts messages on: its keys and the senders that may use it."""

    ring: KeyRing
    senders: frozenset[str]


def parse(raw: bytes) -> tuple[dict[str, Any], Any]:
    """Split raw bytes into header and body, refusing what is not a JSON envelope (1001).

    The bytes are read strictly (envelope.decoding): too deep, not UTF-8, a lone surrogate,
    NaN, a duplicate key or an integer wider than 64 bits is 1001, never an exception."""
    try:
        document = decoding.loads(raw)
    except decoding.JsonRefused as exc:
        raise codes.EnvelopeError(codes.NOT_JSON, str(exc)) from exc
    if not isinstance(document, dict) or "header" not in document or "body" not in document:
        raise codes.EnvelopeError(codes.NOT_JSON, "envelope must be {header, body}")
    header = document["header"]
    if not isinstance(header, dict):
        raise codes.EnvelopeError(codes.BAD_FIELD, "header must be a JSON object")
    return header, document["body"]


def _contains_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_contains_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_float(v) for v in value)
    return False


class Verifier:
    """Checks request envelopes against the links a service accepts."""

    def __init__(self, links: Iterable[Link], nonces: NonceStore) -> None:
        self._links = tuple(links)
        self._nonces = nonces

    @property
    def default_ring(self) -> KeyRing:
        """The ring that signs answers to messages whose link is not known yet."""
        return self._links[0].ring

    def link_for(self, header: dict[str, Any]) -> KeyRing:
        """The ring of the link that carries this sender's message with this key_id."""
        key_id = header.get("key_id")
        for link in self._links:
            if header.get("sender") in link.senders and key_id in link.ring.keys:
                return link.ring
        raise codes.EnvelopeError(codes.BAD_SIGNATURE, "key_id not valid on this link")

    def verify(self, header: dict[str, Any], body: Any) -> KeyRing:
        """Run every check in order; return the ring the message came in on."""
        ring = self.authenticate(header, body)
        self.remember_nonce(header)
        return ring

    def authenticate(self, header: dict[str, Any], body: Any) -> KeyRing:
        """Every check but the nonce (1002-1004); the ring the message came in on. A caller
        that checks the nonce itself (the gateway, in the same Redis call as its rate
        limits) must do so before acting on the message."""
        check_request_header(header)
        if header["sign_type"] != SIGN_TYPE:
            raise codes.EnvelopeError(codes.BAD_FIELD, "sign_type must be HMAC-SHA256")
        if _contains_float(body):
            raise codes.EnvelopeError(codes.BODY_INVALID, "floats are not allowed; money is fen")
        ring = self.link_for(header)
        if not sign_matches(header, body, ring.key_for(header["key_id"])):
            raise codes.EnvelopeError(codes.BAD_SIGNATURE)
        check_timestamp(header["timestamp"])
        return ring

    def remember_nonce(self, header: dict[str, Any]) -> None:
        """Refuse (1005) an authenticated message whose nonce was seen; else remember it."""
        check_nonce(self._nonces, header["nonce"])
