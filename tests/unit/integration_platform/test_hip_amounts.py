"""The amount check of a confirm."""

from __future__ import annotations

from typing import Any

import pytest

from envelope import EnvelopeError
from integration_platform.amounts import check_settlement

TOTAL = 3100


def _insured(**split: int) -> dict[str, Any]:
    values = {
        "medfee_sumamt": TOTAL,
        "hifp_pay": 2000,
        "acct_pay": 600,
        "psn_cash_pay": 500,
        **split,
    }
    return {
        "pay_mode": "INSURANCE",
        "channel": "WECHAT",
        "cash": values["psn_cash_pay"],
        "setl_id": "S1",
        "split": values,
    }


def test_matching_settlements_pass() -> None:
    check_settlement({"pay_mode": "SELF_PAY", "channel": "ALIPAY", "cash": TOTAL}, TOTAL)
    check_settlement(_insured(), TOTAL)
    zero_cash = _insured(hifp_pay=2500, psn_cash_pay=0)
    check_settlement({**zero_cash, "channel": "NONE"}, TOTAL)


@pytest.mark.parametrize(
    "settlement",
    [
        {"pay_mode": "SELF_PAY", "cash": TOTAL - 1},
        {"pay_mode": "SELF_PAY", "cash": True},
        {"pay_mode": "SELF_PAY", "cash": "3100"},
        _insured(medfee_sumamt=TOTAL + 1),
        _insured(acct_pay=601),
        {**_insured(), "cash": 499},
        {**_insured(), "setl_id": ""},
        {**_insured(), "split": None},
        _insured(hifp_pay=-1, acct_pay=2601),
    ],
)
def test_mismatches_are_refused_with_2006(settlement: dict[str, Any]) -> None:
    with pytest.raises(EnvelopeError) as refused:
        check_settlement(settlement, TOTAL)
    assert refused.value.result_code == "2006"


def test_unknown_pay_mode_is_refused_with_1009() -> None:
    with pytest.raises(EnvelopeError) as refused:
        check_settlement({"pay_mode": "CASH", "cash": TOTAL}, TOTAL)
    assert refused.value.result_code == "1009"
