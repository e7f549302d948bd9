"""The one yuan <-> fen converter: exact whole fen or a refusal, never a rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cloud_service.console import ops
from cloud_service.errors import CloudError
from servicekit.money import NotAnAmount, center_yuan_to_fen, fen_to_yuan, whole_fen, yuan_to_fen
from simulators.alipay.trades import TradeError, parse_yuan
from simulators.insurance_center.wire import Refusal, to_fen


@pytest.mark.parametrize(
    ("text", "fen"), [("0", 0), ("0.5", 50), ("0.01", 1), ("88", 8800), ("123.45", 12345)]
)
def test_plain_yuan_becomes_exact_fen(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    ["11.000001", "11.001", "1e1", "1E2", "NaN", "Infinity", "１１", " 11", "11 ", "1 1",
     "11,00", "1,100.00", "11.", ".5", "011", "+11", "-1", "", "0x10", "11\n", None, 11, 11.0,
     Decimal("11"), True],
)  # fmt: skip
def test_a_forged_yuan_text_is_refused_never_rounded(text: object) -> None:
    with pytest.raises(NotAnAmount):
        yuan_to_fen(text)


def test_a_minus_sign_is_read_only_where_a_bill_carries_refunds() -> None:
    assert yuan_to_fen("-11.00", signed=True) == -1100
    with pytest.raises(NotAnAmount):
        yuan_to_fen("-11.00")
    with pytest.raises(NotAnAmount):
        yuan_to_fen("--1", signed=True)


@pytest.mark.parametrize("value", [True, 1.0, "100", -1, None])
def test_wechat_fen_must_be_a_non_negative_json_integer(value: object) -> None:
    with pytest.raises(NotAnAmount):
        whole_fen(value)


def test_fen_is_written_as_two_decimal_yuan_and_only_from_an_int() -> None:
    assert [fen_to_yuan(v) for v in (0, 1, 10, 1230, 12345, -5)] == [
        "0.00", "0.01", "0.10", "12.30", "123.45", "-0.05",
    ]  # fmt: skip
    for bad in (True, 1.5, "12"):
        with pytest.raises(NotAnAmount):
            fen_to_yuan(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    ["１２", "1e1", " 12", "12,30", "NaN", Decimal("NaN"), Decimal("Infinity"),
     Decimal("1E+999999"), Decimal("0.001"), 12.3, False, None],
)  # fmt: skip
def test_the_centers_yuan_refuses_what_is_not_exact_fen(value: object) -> None:
    with pytest.raises(NotAnAmount):
        center_yuan_to_fen(value)


@pytest.mark.parametrize("text", ["1e1", "１２", "12.500", "12,50", "0.00"])
def test_staff_typing_an_odd_amount_is_refused_with_1009_in_chinese(text: str) -> None:
    with pytest.raises(CloudError) as refused:
        ops.yuan_to_fen(text)
    assert refused.value.result_code == "1009"
    assert "金额" in str(refused.value)


def test_staff_may_leave_spaces_around_an_amount() -> None:
    assert ops.yuan_to_fen(" 12.50 ") == 1250


@pytest.mark.parametrize("text", ["1e1", "１２", "12.300", 12])
def test_the_alipay_simulator_refuses_an_exponent_or_fullwidth_amount(text: object) -> None:
    with pytest.raises(TradeError):
        parse_yuan(text, "total_amount")
    assert parse_yuan("12.3", "total_amount") == 1230


def test_the_center_simulator_refuses_fullwidth_digits() -> None:
    with pytest.raises(Refusal):
        to_fen("１２", "medfee_sumamt")
    assert to_fen(Decimal("12.3"), "medfee_sumamt") == 1230
