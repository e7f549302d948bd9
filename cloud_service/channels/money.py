"""Amounts as the channels write them, turned into integer fen, strictly.

Alipay and the bills write yuan strings ("11.00"); WeChat Pay's API writes whole fen as a
JSON integer. Whatever is not exactly one of these is refused, never rounded: "11.000001"
rounded to 1100 fen would credit an order with money nobody paid."""

from __future__ import annotations

import re

# Plain ASCII digits, no leading zero, at most two decimals: what both channels write.
# Decimal() would also take " 11", "1e1", "NaN", "11." and fullwidth digits ("１１").
_YUAN = re.compile(r"(-?)(0|[1-9][0-9]{0,12})(?:\.([0-9]{1,2}))?")


class NotAnAmount(ValueError):
    """A channel's amount that is not exactly whole fen."""


def yuan_to_fen(text: object, *, signed: bool = False) -> int:
    """ "123.45" -> 12345, "0.5" -> 50; a minus sign only when ``signed`` (bill refund rows)."""
    match = _YUAN.fullmatch(text) if isinstance(text, str) else None
    if match is None or (match[1] and not signed):
        raise NotAnAmount(f"not a yuan amount with at most two decimals: {text!r}")
    minus, whole, cents = match.groups()
    fen = int(whole) * 100 + int((cents or "").ljust(2, "0"))
    return -fen if minus else fen


def whole_fen(value: object) -> int:
    """WeChat Pay's amount: a JSON integer of fen, not negative (never a float or a string)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise NotAnAmount(f"not a whole number of fen: {value!r}")
    return value
