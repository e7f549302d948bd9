"""Resident ID card numbers (GB 11643-1999): check digit, birth date, region code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
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
