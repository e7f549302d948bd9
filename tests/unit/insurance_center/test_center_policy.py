"""The center's policy engine on hand-computed cases (all amounts fen)."""

from __future__ import annotations

from decimal import Decimal

from simulators.insurance_center.policy import (
    CLASS_A,
    CLASS_B,
    CLASS_C,
    InsuType,
    Policy,
    YearUsage,
    classify,
    load_policy,
    settle,
)

POLICY = Policy(
    class_b_selfpay_ratio=Decimal("0.10"),
    insutypes={
        "310": InsuType("310", 1000, Decimal("0.70"), 2_000_000, "310100"),
        "390": InsuType("390", 2000, Decimal("0.50"), 300_000, "390100"),
    },
)
DEDUCTIBLE_MET = YearUsage(dedc_fen=1000)


def _adds_up(split) -> bool:  # type: ignore[no-untyped-def]
    return (
        split.medfee_sumamt == split.hifp_pay + split.acct_pay + split.psn_cash_pay
        and split.medfee_sumamt
        == split.fulamt_ownpay_amt + split.preselfpay_amt + split.inscp_scp_amt
    )


def test_class_c_only_is_all_self_paid() -> None:
    items = [classify(POLICY, 5000, CLASS_C)]
    split = settle(POLICY, "310", items, YearUsage(), 80000, acct_used=False)
    assert (split.fulamt_ownpay_amt, split.inscp_scp_amt, split.hifp_pay) == (5000, 0, 0)
    assert (split.acct_pay, split.psn_cash_pay, split.balc) == (0, 5000, 80000)
    assert _adds_up(split)


def test_class_b_goes_in_scope_after_the_self_pay_ratio() -> None:
    items = [classify(POLICY, 10000, CLASS_B)]
    split = settle(POLICY, "310", items, DEDUCTIBLE_MET, 0, acct_used=False)
    assert (split.preselfpay_amt, split.inscp_scp_amt) == (1000, 9000)
    assert (split.act_pay_dedc, split.hifp_pay, split.psn_part_amt) == (0, 6300, 3700)
    assert split.psn_cash_pay == 3700
    assert _adds_up(split)


def test_class_b_self_pay_rounds_half_up_to_the_fen() -> None:
    scope = classify(POLICY, 1005, CLASS_B)
    assert (scope.preselfpay_fen, scope.inscp_fen) == (101, 904)


def test_account_pays_the_patient_share_when_used() -> None:
    items = [classify(POLICY, 10000, CLASS_A)]
    off = settle(POLICY, "310", items, YearUsage(), 80000, acct_used=False)
    on = settle(POLICY, "310", items, YearUsage(), 80000, acct_used=True)
    assert (off.act_pay_dedc, off.hifp_pay, off.acct_pay, off.psn_cash_pay) == (1000, 6300, 0, 3700)
    assert (on.hifp_pay, on.acct_pay, on.psn_cash_pay, on.balc) == (6300, 3700, 0, 76300)
    assert _adds_up(off) and _adds_up(on)


def test_account_running_short_leaves_the_rest_to_cash() -> None:
    items = [classify(POLICY, 10000, CLASS_A)]
    split = settle(POLICY, "310", items, YearUsage(), 1500, acct_used=True)
    assert (split.acct_pay, split.psn_cash_pay, split.balc) == (1500, 2200, 0)
    assert _adds_up(split)


def test_mixed_items_with_resident_deductible_and_annual_cap() -> None:
    items = [
        classify(POLICY, 3000, CLASS_A),
        classify(POLICY, 2000, CLASS_B),
        classify(POLICY, 1000, CLASS_C),
    ]
    split = settle(POLICY, "390", items, YearUsage(dedc_fen=500, hifp_fen=299_000), 0, True)
    # in scope 3000 + 1800 = 4800; deductible left 1500; pool 50% of 3300 = 1650, cap left 1000
    assert (split.inscp_scp_amt, split.act_pay_dedc, split.hifp_pay) == (4800, 1500, 1000)
    assert (split.acct_pay, split.psn_cash_pay) == (0, 5000)
    assert _adds_up(split)


def test_policy_file_loads_both_insurance_types() -> None:
    policy = load_policy()
    assert set(policy.insutypes) == {"310", "390"}
    assert policy.class_b_selfpay_ratio == Decimal("0.10")
