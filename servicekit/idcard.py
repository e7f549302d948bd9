"""Resident ID card numbers (GB 11643-1999): check digit, birth date, region code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# The exact written form is_valid accepts: no spaces, an uppercase X only.
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
# First two digits: the province-level region codes in use.
_PROVINCES = {
    11,
    12,
    13,
    14,
    15,
    21,
    22,
    23,
    31,
    32,
    33,
    34,
    35,
    36,
    37,
    41,
    42,
    43,
    44,
    45,
    46,
    50,
    51,
    52,
    53,
    54,
    61,
    62,
    63,
    64,
    65,
    71,
    81,
    82,
    83,
}


class InvalidIdCard(ValueError):
    """The number is not a valid 18-character resident ID card number."""


@dataclass(frozen=True)
class IdCard:
    """What an ID card number itself says."""

    number: str
    birth_date: date
    gender: str  # M or F

    @property
    def region_code(self) -> str:
        """The six-digit administrative region code."""
        return self.number[:6]


def check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse_id_card(number: str, today: date | None = None) -> IdCard:
    """Validate and read an ID card number, or raise InvalidIdCard saying why."""
    number = number.strip().upper()
    if len(number) != 18 or not number[:17].isdigit():
        raise InvalidIdCard("ID card number must be 17 digits and a check character")
    if int(number[:2]) not in _PROVINCES:
        raise InvalidIdCard("ID card number has an unknown region code")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdCard("ID card number has an impossible birth date") from exc
    if born > (today or date.today()) or born.year < 1900:
        raise InvalidIdCard("ID card number has an impossible birth date")
    if check_digit(number[:17]) != number[17]:
        raise InvalidIdCard("ID card number check digit does not match")
    return IdCard(number, born, "M" if int(number[16]) % 2 == 1 else "F")


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
    return first17 + check_digit(first17)
