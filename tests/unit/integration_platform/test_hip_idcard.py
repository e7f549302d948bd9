"""GB 11643 ID card numbers."""

from __future__ import annotations

from datetime import date

import pytest

from servicekit import idcard

DEMO = ["110105198001010016", "310101199206150027", "440304197503200035", "110108201008080010"]


@pytest.mark.parametrize("number", DEMO)
def test_demo_numbers_are_valid(number: str) -> None:
    assert idcard.is_valid(number)


def test_wrong_check_digit_is_invalid() -> None:
    assert not idcard.is_valid("110105198001010017")


@pytest.mark.parametrize(
    "number",
    [
        "",
        "11010519800101001",
        "1101051980010100161",
        "010105198001010016",
        "11010519800101001A",
        "110105198002300016",
    ],
)
def test_malformed_numbers_are_invalid(number: str) -> None:
    assert not idcard.is_valid(number)


def test_x_check_character_is_accepted_after_normalising() -> None:
    first17 = next(
        f"11010119900101{n:03d}"
        for n in range(1000)
        if idcard.check_digit(f"11010119900101{n:03d}") == "X"
    )
    assert idcard.is_valid(idcard.normalize(first17 + "x"))
    assert not idcard.is_valid(first17 + "x")


def test_birth_date_and_gender_are_read_from_the_number() -> None:
    assert idcard.birth_date_of("310101199206150027") == date(1992, 6, 15)
    assert idcard.gender_of("310101199206150027") == "F"
    assert idcard.gender_of("110105198001010016") == "M"


def test_complete_appends_the_check_character() -> None:
    assert idcard.complete("11010519800101001") == "110105198001010016"


@pytest.mark.parametrize(
    ("first17", "why"),
    [
        ("99010119900101001", "region"),  # no province 99
        (f"110101{date.today().year + 1}0101001", "birth date"),  # born next year
        ("11010118000101001", "birth date"),  # before 1900
    ],
)
def test_numbers_with_a_bad_region_or_an_impossible_birth_are_refused(
    first17: str, why: str
) -> None:
    number = idcard.complete(first17)
    assert not idcard.is_valid(number)
    assert why in (idcard.refusal(number) or "")
    assert idcard.refusal("110105198001010016") is None
