"""Yuan <-> integer fen, the one converter every service and simulator uses.

Money is integer fen everywhere inside; yuan exists only on a partner's wire. Whatever is not
exactly whole fen is refused, never rounded: "11.000001" rounded to 1100 fen would credit an
order with money nobody paid. Callers catch NotAnAmount at their edge and answer with their
own refusal (a result code, a channel error).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Plain ASCII digits, no leading zero, at most two decimals: what the payment channels write.
# Decimal() would also take " 11", "1e1", "NaN", "11." and fullwidth digits ("１１").
_YUAN = re.compile(r"(-?)(0|[1-9][0-9]{0,12})(?:\.([0-9]{1,2}))?")
# The insurance center's yuan as text: plain ASCII, trailing zeros allowed ("12.300").
_CENTER_YUAN = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
_CENT = Decimal("0.01")


class NotAnAmount(ValueError):
    """A yuan or fen amount that is not exactly whole fen."""


def yuan_to_fen(text: object, *, signed: bool = False) -> int:
    """ "123.45" -> 12345, "0.5" -> 50; a minus sign only when ``signed`` (bill refund rows)."""
    match = _YUAN.fullmatch(text) if isinstance(text, str) else None
    if match is None or (match[1] and not signed):
        raise NotAnAmount(f"not a yuan amount with at most two decimals: {text!r}")
    minus, whole, cents = match.groups()
    fen = int(whole) * 100 + int((cents or "").ljust(2, "0"))
    return -fen if minus else fen


def center_yuan_to_fen(value: object) -> int:
    """The center's JSON yuan (a Decimal number, an int or plain text) as fen: "12.30" or
    Decimal("12.3") -> 1230; a float, a bool or more than two decimals is refused."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise NotAnAmount(f"not a yuan amount: {value!r}")
    if isinstance(value, str) and not _CENTER_YUAN.fullmatch(value):
        raise NotAnAmount(f"not a yuan amount: {value!r}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
        exact = amount.is_finite() and amount == amount.quantize(_CENT)
    except InvalidOperation as exc:  # quantize of a number too large for the context
        raise NotAnAmount(f"not a yuan amount: {value!r}") from exc
    if not exact:
        raise NotAnAmount(f"not a yuan amount with at most two decimals: {value!r}")
    return int(amount * 100)


def whole_fen(value: object) -> int:
    """WeChat Pay's amount: a JSON integer of fen, not negative (never a float or a string)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise NotAnAmount(f"not a whole number of fen: {value!r}")
    return value


def fen_to_yuan(fen: int) -> str:
    """Integer fen as the partners write yuan: 1230 -> "12.30", -5 -> "-0.05"."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise NotAnAmount(f"fen must be an integer: {fen!r}")
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"
