"""Yuan/fen at the edge, the msgid and x-tif formats, and the split check."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

import pytest

from insurance_frontend.national import make_msgid, tif_headers
from insurance_frontend.split import Split, SplitMismatch, split_from_setlinfo
from servicekit.money import NotAnAmount, center_yuan_to_fen, fen_to_yuan


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("12.30", 1230),
        (Decimal("12.3"), 1230),
        ("0.01", 1),
        (7, 700),
        ("-0.05", -5),
        ("100", 10000),
        ("12.300", 1230),
    ],
)
def test_yuan_becomes_exact_fen(value: object, fen: int) -> None:
    assert center_yuan_to_fen(value) == fen  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["12.345", Decimal("0.001"), 12.3, "abc", "NaN", True])
def test_yuan_with_more_than_two_decimals_or_a_float_is_refused(value: object) -> None:
    with pytest.raises(NotAnAmount):
        center_yuan_to_fen(value)  # type: ignore[arg-type]


def test_fen_renders_as_yuan_with_two_decimals() -> None:
    assert [fen_to_yuan(v) for v in (0, 1, 1230, 80000, -5)] == [
        "0.00",
        "0.01",
        "12.30",
        "800.00",
        "-0.05",
    ]


def test_msgid_is_code_time_and_four_digit_sequence() -> None:
    msgid = make_msgid("H11010500001", datetime(2026, 11, 26, 14, 3, 9), 123457)
    assert msgid == "H11010500001202611261403093457"
    assert len(msgid) == 30


def test_msgid_needs_a_twelve_character_institution_code() -> None:
    with pytest.raises(ValueError):
        make_msgid("H1101", datetime(2026, 1, 1), 1)


def test_tif_signature_is_sha256_of_time_token_nonce_time() -> None:
    headers = tif_headers("paas", "token", timestamp=1700000000, nonce="abc123abc123")
    expected = hashlib.sha256(b"1700000000tokenabc123abc1231700000000").hexdigest()
    assert headers["x-tif-signature"] == expected
    assert headers["x-tif-paasid"] == "paas" and headers["x-tif-timestamp"] == "1700000000"


GOOD = {
    "medfee_sumamt": "170.00",
    "fulamt_ownpay_amt": "20.00",
    "preselfpay_amt": "10.00",
    "inscp_scp_amt": "140.00",
    "act_pay_dedc": "10.00",
    "hifp_pay": "91.00",
    "fund_pay_sumamt": "91.00",
    "psn_part_amt": "79.00",
    "acct_pay": "79.00",
    "psn_cash_pay": "0.00",
    "overlmt_selfpay": "0.00",
}


def test_a_split_that_adds_up_is_read_in_fen() -> None:
    split = split_from_setlinfo(GOOD)
    assert split == Split(17000, 2000, 1000, 14000, 9100, 7900, 0)
    assert split.as_body()["hifp_pay"] == 9100


@pytest.mark.parametrize(
    "change",
    [
        {"psn_cash_pay": "0.01"},
        {"fund_pay_sumamt": "90.00"},
        {"psn_part_amt": "80.00"},
        {"inscp_scp_amt": "139.00"},
        {"hifp_pay": "91.001"},
        {"acct_pay": None},
    ],
)
def test_a_split_that_does_not_add_up_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(SplitMismatch):
        split_from_setlinfo({**GOOD, **change})


def test_numbers_parsed_as_decimal_are_accepted() -> None:
    numeric = {k: Decimal(v) for k, v in GOOD.items()}
    assert split_from_setlinfo(numeric).medfee_sumamt == 17000
