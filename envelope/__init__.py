"""What every zone agrees on byte for byte: envelope, canonical JSON, signing, catalogue,
result codes, and the client that sends an envelope."""

from envelope.canonical import NonCanonicalValue, canonical_bytes
from envelope.catalogue import CATALOGUE, CLOUD, GATEWAY, HIP, INSFE, TradeCode
from envelope.client import EnvelopeClient, Reply
from envelope.codes import EnvelopeError
from envelope.keys import KeyRing
from envelope.replay import MemoryNonceStore, RedisNonceStore
from envelope.server import EnvelopeEndpoint, Handler, Incoming
from envelope.signing import compute_sign, sign_envelope, sign_matches
from envelope.trades import Trade
from envelope.verify import Link, Verifier

__all__ = [
    "CATALOGUE",
    "CLOUD",
    "GATEWAY",
    "HIP",
    "INSFE",
    "EnvelopeClient",
    "EnvelopeEndpoint",
    "EnvelopeError",
    "Handler",
    "Incoming",
    "KeyRing",
    "Link",
    "MemoryNonceStore",
    "NonCanonicalValue",
    "RedisNonceStore",
    "Reply",
    "Trade",
    "TradeCode",
    "Verifier",
    "canonical_bytes",
    "compute_sign",
    "sign_envelope",
    "sign_matches",
]
