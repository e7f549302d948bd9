"""The center's policy engine against a table of hand-computed cases (all amounts fen).

Policy of the table: class B self-pays 10 %; 310 employee: deductible 10.00, pool 70 % at a
level-3 hospital (90 % at level 1), annual cap 20 000.00; 390 resident: deductible 20.00,
pool 50 % at level 3, annual cap 3 000.00. The account never pays class C.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from simulators.insurance_center.policy import (
    CLASS_A,
    CLASS_B,
    CLASS_C,
    InsuType,
    Policy,
    Split,
    YearUsage,
    classify,
    load_policy,
    settle,
)

POLICY = Policy(
    class_b_selfpay_ratio=Decimal("0.10"),
    insutypes={
        "310": InsuType(
            "310", 1000, {"1": Decimal("0.90"), "3": Decimal("0.70")}, 2_000_000, "310100"
        ),
        "390": InsuType("390", 2000, {"3": Decimal("0.50")}, 300_000, "390100"),
    },
)
A, B, C = CLASS_A, CLASS_B, CLASS_C

# name: (insutype, level, items, (dedc used, hifp used), balance, acct_used,
#        expected (medfee, fulamt, preselfpay, inscp, dedc, hifp, acct, cash, balc))
CASES = {
    # 30.00 class A, 4.00 of the deductible left: 4.00 deductible, 70 % of 26.00 = 18.20
    "crossing the deductible": (
        "310", "3", [(3000, A)], (600, 0), 0, False,
        (3000, 0, 0, 3000, 400, 1820, 0, 1180, 0),
    ),
    # 100.00 class B: 10.00 self-paid first, 70 % of 90.00 = 63.00 (deductible already met)
    "a class-B ratio": (
        "310", "3", [(10000, B)], (1000, 0), 50000, False,
        (10000, 0, 1000, 9000, 0, 6300, 0, 3700, 50000),
    ),
    # class C only: nothing in scope; the account may not pay class C
    "class C only": (
        "310", "3", [(5000, C)], (0, 0), 80000, True,
        (5000, 5000, 0, 0, 0, 0, 0, 5000, 80000),
    ),
    # 100.00 class A: deductible 10.00, pool 63.00, patient share 37.00; account has 15.00
    "the account running out mid-bill": (
        "310", "3", [(10000, A)], (0, 0), 1500, True,
        (10000, 0, 0, 10000, 1000, 6300, 1500, 2200, 0),
    ),
    # resident: in scope 30.00 + 18.00; 15.00 deductible left; 50 % of 33.00 = 16.50 but
    # only 10.00 of the cap is left
    "the cap reached mid-bill": (
        "390", "3", [(3000, A), (2000, B), (1000, C)], (500, 299_000), 0, True,
        (6000, 1000, 200, 4800, 1500, 1000, 0, 5000, 0),
    ),
    "the cap already used up": (
        "310", "3", [(2000, A)], (1000, 2_000_000), 0, False,
        (2000, 0, 0, 2000, 0, 0, 0, 2000, 0),
    ),
    "employee on a 100.00 class-A bill": (
        "310", "3", [(10000, A)], (0, 0), 0, False,
        (10000, 0, 0, 10000, 1000, 6300, 0, 3700, 0),
    ),
    # resident: deductible 20.00, 50 % of 80.00
    "resident on the same bill": (
        "390", "3", [(10000, A)], (0, 0), 0, False,
        (10000, 0, 0, 10000, 2000, 4000, 0, 6000, 0),
    ),
    "acct_used off leaves the balance alone": (
        "310", "3", [(10000, A)], (0, 0), 80000, False,
        (10000, 0, 0, 10000, 1000, 6300, 0, 3700, 80000),
    ),
    "acct_used on pays the patient share": (
        "310", "3", [(10000, A)], (0, 0), 80000, True,
        (10000, 0, 0, 10000, 1000, 6300, 3700, 0, 76300),
    ),
    # a level-1 hospital: 90 % of 90.00
    "a level-1 hospital pays a higher ratio": (
        "310", "1", [(10000, A)], (0, 0), 0, False,
        (10000, 0, 0, 10000, 1000, 8100, 0, 1900, 0),
    ),
    # 10.05 class B: 1.005 -> 1.01 self-paid, 9.04 in scope, 70 % = 6.328 -> 6.33
    "half-up rounding to the fen": (
        "310", "3", [(1005, B)], (1000, 0), 0, False,
        (1005, 0, 101, 904, 0, 633, 0, 372, 0),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_policy_engine_matches_the_hand_computed_split(name: str) -> None:
    insutype, level, items, (dedc, hifp), balance, acct_used, expected = CASES[name]
    scopes = [classify(POLICY, amount, level_code) for amount, level_code in items]
    split = settle(POLICY, insutype, scopes, YearUsage(dedc, hifp), balance, acct_used, level)
    got = (
        split.medfee_sumamt,
        split.fulamt_ownpay_amt,
        split.preselfpay_amt,
        split.inscp_scp_amt,
        split.act_pay_dedc,
        split.hifp_pay,
        split.acct_pay,
        split.psn_cash_pay,
        split.balc,
    )
    assert got == expected
    assert_adds_up(split)


def assert_adds_up(split: Split) -> None:
    assert split.medfee_sumamt == split.hifp_pay + split.acct_pay + split.psn_cash_pay
    scope = split.fulamt_ownpay_amt + split.preselfpay_amt + split.inscp_scp_amt
    assert split.medfee_sumamt == scope
    assert split.fund_pay_sumamt == split.hifp_pay
    assert split.psn_part_amt == split.acct_pay + split.psn_cash_pay


def test_a_level_the_policy_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="level 2"):
        POLICY.insutypes["390"].pool_ratio("2")


def test_policy_file_gives_every_insurance_type_a_ratio_per_level() -> None:
    policy = load_policy()
    assert set(policy.insutypes) == {"310", "390"}
    assert policy.class_b_selfpay_ratio == Decimal("0.10")
    assert policy.insutypes["310"].pool_ratio("3") == Decimal("0.70")
    assert policy.insutypes["390"].pool_ratio("3") == Decimal("0.50")
    for insutype in policy.insutypes.values():
        assert {"1", "2", "3"} <= set(insutype.pool_ratios)
