"""Resident ID card numbers (GB 11643-1999): region code, birth date and check character.

The rules themselves live in servicekit.idcard, shared with the cloud, so both zones refuse
exactly the same numbers.
"""

from __future__ import annotations

import re
from datetime import date

from servicekit.idcard import InvalidIdCard, parse_id_card

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


def check_char(first17: str) -> str:
    """The check character of the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize(id_card_no: str) -> str:
    """Trimmed, with a lowercase x as the uppercase check character."""
    return id_card_no.strip().upper()


def birth_date_of(id_card_no: str) -> date | None:
    """The date of birth the number encodes, or None when it is not a real date."""
    digits = id_card_no[6:14]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def gender_of(id_card_no: str) -> str:
    """M or F from the 17th digit (odd for men)."""
    return "M" if int(id_card_no[16]) % 2 else "F"


def is_valid(id_card_no: str) -> bool:
    """True for 18 characters with a known region, a real past birth date, the right check."""
    if not _SHAPE.match(id_card_no):
        return False
    try:
        parse_id_card(id_card_no)
    except InvalidIdCard:
        return False
    return True


def refusal(id_card_no: str) -> str | None:
    """Why the number is refused (region, birth date, check character), or None if valid."""
    try:
        parse_id_card(id_card_no)
    except InvalidIdCard as exc:
        return str(exc)
    return None


def complete(first17: str) -> str:
    """A full number from 17 digits (for seed data and tests)."""
    return first17 + check_char(first17)
