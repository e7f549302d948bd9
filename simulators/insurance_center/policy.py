"""The center's policy engine: item scope (class A/B/C), deductible, pool ratio, annual cap,
personal account. Every amount is integer fen; ratios are Decimal; rounding is half-up.

Parameters live in policy.json beside this module so a reader can change them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from servicekit import money

POLICY_FILE = Path(__file__).with_name("policy.json")

CLASS_A, CLASS_B, CLASS_C = "01", "02", "03"


def ratio_of(amount_fen: int, ratio: Decimal) -> int:
    """amount x ratio, rounded half-up to whole fen."""
    return int((Decimal(amount_fen) * ratio).to_integral_value(ROUND_HALF_UP))


@dataclass(frozen=True)
class InsuType:
    """Parameters of one insurance type (310 employee, 390 resident)."""

    code: str
    deductible_fen: int
    pool_ratios: dict[str, Decimal]  # hospital level ("1", "2", "3") -> pool ratio
    annual_cap_fen: int
    fund_pay_type: str

    def pool_ratio(self, hospital_level: str) -> Decimal:
        """The pool fund's share of the in-scope amount above the deductible at this level."""
        try:
            return self.pool_ratios[hospital_level]
        except KeyError:
            raise ValueError(
                f"insutype {self.code} has no pool ratio for hospital level {hospital_level}"
            ) from None


@dataclass(frozen=True)
class Policy:
    """The whole rule set."""

    class_b_selfpay_ratio: Decimal
    insutypes: dict[str, InsuType]
    # The city's rule: may the personal account pay for class C (out-of-catalogue) items?
    account_pays_class_c: bool = False


def load_policy(path: Path = POLICY_FILE) -> Policy:
    """Read policy.json (yuan and ratio strings) into fen and Decimal."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    types = {
        code: InsuType(
            code,
            money.yuan_to_fen(p["deductible"]),
            {level: Decimal(ratio) for level, ratio in p["pool_ratio"].items()},
            money.yuan_to_fen(p["annual_cap"]),
            p["fund_pay_type"],
        )
        for code, p in raw["insutypes"].items()
    }
    return Policy(
        Decimal(raw["class_b_selfpay_ratio"]), types, bool(raw.get("account_pays_class_c", False))
    )


@dataclass(frozen=True)
class ItemScope:
    """How one fee item splits into out-of-scope, pre-self-pay and in-scope parts."""

    amount_fen: int
    chrgitm_lv: str
    fulamt_ownpay_fen: int
    preselfpay_fen: int
    inscp_fen: int


def classify(policy: Policy, amount_fen: int, chrgitm_lv: str) -> ItemScope:
    """Class A fully in scope, class B in scope after the self-pay ratio, class C out."""
    if chrgitm_lv == CLASS_A:
        return ItemScope(amount_fen, chrgitm_lv, 0, 0, amount_fen)
    if chrgitm_lv == CLASS_B:
        selfpay = ratio_of(amount_fen, policy.class_b_selfpay_ratio)
        return ItemScope(amount_fen, chrgitm_lv, 0, selfpay, amount_fen - selfpay)
    return ItemScope(amount_fen, CLASS_C, amount_fen, 0, 0)


@dataclass(frozen=True)
class YearUsage:
    """What a person has used this year: deductible paid and pool fund received."""

    dedc_fen: int = 0
    hifp_fen: int = 0


@dataclass(frozen=True)
class Split:
    """A settlement's amounts, all fen; medfee = hifp + acct + cash exactly."""

    medfee_sumamt: int
    fulamt_ownpay_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    act_pay_dedc: int
    hifp_pay: int
    fund_pay_sumamt: int
    psn_part_amt: int
    acct_pay: int
    psn_cash_pay: int
    balc: int


def settle(
    policy: Policy,
    insutype: str,
    items: Iterable[ItemScope],
    usage: YearUsage,
    balance_fen: int,
    acct_used: bool,
    hospital_level: str = "3",
) -> Split:
    """Compute the split of one settlement from its items, the person's year and account."""
    params = policy.insutypes[insutype]
    items = list(items)
    medfee = sum(i.amount_fen for i in items)
    inscp = sum(i.inscp_fen for i in items)
    dedc = min(inscp, max(0, params.deductible_fen - usage.dedc_fen))
    cap_left = max(0, params.annual_cap_fen - usage.hifp_fen)
    hifp = min(ratio_of(inscp - dedc, params.pool_ratio(hospital_level)), cap_left)
    psn_part = medfee - hifp
    fulamt = sum(i.fulamt_ownpay_fen for i in items)
    acct_payable = psn_part if policy.account_pays_class_c else psn_part - fulamt
    acct = min(acct_payable, max(0, balance_fen)) if acct_used else 0
    return Split(
        medfee_sumamt=medfee,
        fulamt_ownpay_amt=fulamt,
        preselfpay_amt=sum(i.preselfpay_fen for i in items),
        inscp_scp_amt=inscp,
        act_pay_dedc=dedc,
        hifp_pay=hifp,
        fund_pay_sumamt=hifp,
        psn_part_amt=psn_part,
        acct_pay=acct,
        psn_cash_pay=psn_part - acct,
        balc=balance_fen - acct,
    )
