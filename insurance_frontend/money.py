"""Yuan on the center's wire, integer fen everywhere else; Decimal only at this edge."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


class BadAmount(ValueError):
    """A yuan amount that cannot become whole fen exactly."""


def yuan_to_fen(value: Decimal | str | int) -> int:
    """'12.30' or Decimal('12.3') -> 1230; refuses floats and more than two decimals."""
    if isinstance(value, (float, bool)):
        raise BadAmount("a yuan amount must not be a float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise BadAmount(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise BadAmount(f"not an amount: {value!r}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise BadAmount(f"more than two decimals: {value!r}")
    return int(amount * 100)


def fen_to_yuan(fen: int) -> str:
    """1230 -> '12.30'; -5 -> '-0.05'."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise BadAmount("fen must be an integer")
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"
