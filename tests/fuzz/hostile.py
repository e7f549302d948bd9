"""Bytes an attacker sends to make a JSON reader fall over: deep nesting, lone surrogates,
numbers no column holds, every class of malformed UTF-8, and things that are not objects.

Each entry is (label, bytes of one JSON value or of something meant to pass for one).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote_from_bytes

DEPTHS = (1_000, 100_000)


def _nested(depth: int) -> list[tuple[str, bytes]]:
    return [
        (f"[ x{depth} open", b"[" * depth),
        (f"{{ x{depth} open", b'{"a":' * depth),
        (f"[ x{depth} closed", b"[" * depth + b"]" * depth),
        (f"{{ x{depth} closed", b'{"a":' * depth + b"0" + b"}" * depth),
        (f"bare {{ x{depth}", b"{" * depth),
    ]


NESTED = [entry for depth in DEPTHS for entry in _nested(depth)]

SURROGATES = [
    ("lone low surrogate escape", b'"\\udc80"'),
    ("lone high surrogate escape", b'"\\ud800"'),
    ("reversed surrogate pair", b'"\\udfff\\ud800"'),
    ("name with a lone surrogate", '"张伟\\udc80"'.encode()),
    ("surrogate as raw bytes ED B2 80", b'"\xed\xb2\x80"'),
]

NUMBERS = [
    ("10**5000", b"1" + b"0" * 5000),
    ("1e400", b"1e400"),
    ("-1e400", b"-1e400"),
    ("-0", b"-0"),
    ("1.0", b"1.0"),
    ("NaN", b"NaN"),
    ("Infinity", b"Infinity"),
    ("-Infinity", b"-Infinity"),
    ("2**63", str(2**63).encode()),
    ("-(2**63)-1", str(-(2**63) - 1).encode()),
    ("2**64", str(2**64).encode()),
]

BAD_UTF8 = [
    ("overlong C0 AF", b"\xc0\xaf"),
    ("truncated E4 B8", b"\xe4\xb8"),
    ("truncated F0 9F 98", b"\xf0\x9f\x98"),
    ("stray continuation 80", b"\x80"),
    ("invalid FE", b"\xfe"),
    ("invalid FF", b"\xff"),
    ("invalid FE FF", b"\xfe\xff"),
    ("surrogate as UTF-8 ED A0 80", b"\xed\xa0\x80"),
    ("above U+10FFFF F4 90 80 80", b"\xf4\x90\x80\x80"),
]
MALFORMED = [(f"{label} in a string", b'"' + raw + b'"') for label, raw in BAD_UTF8] + [
    (f"{label} bare", raw) for label, raw in BAD_UTF8
]

NOT_OBJECTS = [
    ("top-level array", b"[]"),
    ("top-level string", b'"envelope"'),
    ("top-level number", b"42"),
    ("top-level null", b"null"),
    ("empty body", b""),
    ("duplicate keys", b'{"a":1,"a":2}'),
    ("UTF-8 BOM", b"\xef\xbb\xbf{}"),
]

VALUES = NESTED + SURROGATES + NUMBERS + MALFORMED


def envelope_bytes(wrap: Callable[[bytes], bytes], value: bytes) -> list[tuple[str, bytes]]:
    """The value as a whole request, as an envelope's body and in a body field (each signed
    by ``wrap``), in a header field and as a key: every place a reader meets it."""
    return [
        ("whole", value),
        ("body", wrap(value)),
        ("body field", wrap(b'{"name":' + value + b"}")),
        ("header field", b'{"header":{"trace_id":' + value + b'},"body":{}}'),
        ("key", b'{"header":{' + value + b':"x"},"body":{}}'),
    ]


def api_bodies(value: bytes) -> list[tuple[str, bytes]]:
    """The value as a whole patient API body, and in the fields the API reads."""
    return [
        ("whole", value),
        ("phone", b'{"phone":' + value + b"}"),
        ("name", b'{"id_card_no":"110105198001010016","name":' + value + b"}"),
        ("key", b"{" + value + b':"x"}'),
    ]


# Query values: the hostile bytes percent-encoded, as a client puts them on a URL.
QUERY_VALUES = [
    ("deep [", quote_from_bytes(b"[" * 1_000)),
    ("lone surrogate escape", quote_from_bytes(b"\\udc80")),
    ("surrogate bytes ED B2 80", "%ED%B2%80"),
    ("10**5000", "1" + "0" * 5000),
    ("1e400", "1e400"),
    ("NaN", "NaN"),
    ("-0", "-0"),
    ("1.0", "1.0"),
] + [(label, quote_from_bytes(raw)) for label, raw in BAD_UTF8]
QUERY_NAMES = (
    "start_date",
    "end_date",
    "dept_code",
    "doctor_code",
    "mrn",
    "kind",
    "target",
    "token",
)
