"""The fast codec (orjson) writes byte for byte what the definition (json.dumps, sorted, no
spaces, UTF-8) writes, for every value the system signs, and refuses what it refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envelope.canonical import (
    NonCanonicalValue,
    canonical_bytes,
    compact_bytes,
    json_canonical_bytes,
)
from envelope.trades import Trade

texts = st.text(st.characters(codec="utf-8"), max_size=12)  # every code point with UTF-8
integers = st.integers() | st.integers(-(2**64), 2**64) | st.sampled_from([2**63, -(2**63) - 1])
leaves = st.none() | st.booleans() | integers | texts
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=24,
)


@settings(max_examples=600)
@given(values)
def test_the_fast_canonical_bytes_are_the_definitions(value: Any) -> None:
    assert canonical_bytes(value) == json_canonical_bytes(value)
    assert json.loads(compact_bytes(value)) == value


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": {"é": "中文", "\U0001f600": '\u2028\x7f\x00\x1f"\\/', "\uffff": "x"}},
        {"big": 10**40, "small": -(10**40), "edge": [2**63 - 1, -(2**63), 2**64 - 1, 2**64]},
        {"trade_code": Trade.LOCK_SLOT, "amount_fen": 0, "ok": True, "none": None},
    ],
)
def test_values_the_system_signs_have_the_same_bytes(value: Any) -> None:
    assert canonical_bytes(value) == json_canonical_bytes(value)


@pytest.mark.parametrize("value", [1.5, {"amount": 12.0}, [float("nan")], {1: "x"}, {"s": {1}}])
def test_what_has_no_canonical_form_is_still_refused(value: Any) -> None:
    with pytest.raises(NonCanonicalValue):
        canonical_bytes(value)


def test_a_lone_surrogate_still_has_no_bytes() -> None:
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes({"name": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        compact_bytes({"name": "\ud800"})
