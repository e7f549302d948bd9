"""The insurance trade codes (4xxx), answered by insurance_frontend: requests and answers.

Money is int fen. The split of 4004, 4005 and 4007 is one nested object with every field of
envelope.split.SPLIT_FIELDS, adding up (medfee_sumamt = hifp_pay + acct_pay + psn_cash_pay).
4001 and 4002 never travel in an envelope from outside the hospital (1007); their requests
are here so the gateway and the frontend name the refusal, and answer nothing.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StrictInt, model_validator

from envelope.messages.base import Day, Fen, Message, Request, Text
from envelope.split import SPLIT_PARTS, SPLIT_TOTAL
from envelope.trades import Trade

OrderState = Literal["NONE", "OPEN", "PRESETTLED", "SETTLED", "REVERSED", "UNKNOWN"]
Verdict = Literal["BALANCED", "UNBALANCED"]
Count = Annotated[StrictInt, Field(ge=0)]


class InsuranceSplit(Message):
    """The split of a settlement in fen (DESIGN §3), the fields of SPLIT_FIELDS."""

    medfee_sumamt: Fen
    fulamt_ownpay_amt: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    hifp_pay: Fen
    acct_pay: Fen
    psn_cash_pay: Fen

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        if getattr(self, SPLIT_TOTAL) != sum(getattr(self, name) for name in SPLIT_PARTS):
            raise ValueError(f"{SPLIT_TOTAL} is not the sum of {', '.join(SPLIT_PARTS)}")
        return self


class InsuredPersonAnswer(Message):
    """4003: the insured person, the personal account's balance in fen."""

    psn_no: Text
    insutype: Text
    insuplc_admdvs: str
    psn_type: str
    acct_balance: Fen
    status: Literal["INSURED"]


class OrderAnswer(Message):
    """4004, 4005 and 4007: where the insurance path holds an order. NONE (never pre-settled)
    has no person and no split; SETTLED has its setl_id and split."""

    order_no: Text
    status: OrderState
    setl_id: str
    mdtrt_id: str
    psn_no: Text | None = None
    insutype: Text | None = None
    split: InsuranceSplit | None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.status == "SETTLED" and not (self.setl_id and self.split is not None):
            raise ValueError("a settled order carries its setl_id and split")
        if self.status == "PRESETTLED" and self.split is None:
            raise ValueError("a pre-settled order carries its split")
        if self.status == "NONE" and (self.split is not None or self.setl_id):
            raise ValueError("an order never pre-settled has no settlement")
        return self


class ReversalAnswer(Message):
    """4006: the order REVERSED, with the split that was reversed (None if never settled)."""

    order_no: Text
    status: Literal["REVERSED"]
    setl_id: str
    mdtrt_id: str
    psn_no: Text
    reversed_split: InsuranceSplit | None
    reason: str


class Amounts(Message):
    """A settlement's or a day's amounts in fen."""

    medfee_sumamt: Fen
    fund_pay_sumamt: Fen
    acct_pay: Fen
    cash_payamt: Fen


class Totals(Message):
    """What 3201 compares: the count and three sums, in fen."""

    count: Count
    medfee_sumamt: Fen
    fund_pay_sumamt: Fen
    acct_pay: Fen


class DayTotals(Amounts):
    """Our settlements of a day: their count and sums."""

    count: Count


class InsutypeTotals(Message):
    """One insurance type's 3201: ours, the center's (None when unreadable), the verdict."""

    insutype: Text
    result: Verdict
    description: str
    ours: Totals
    center: Totals | None


class CenterAmounts(Message):
    """The center's amounts of one settlement in fen, None where it gave none."""

    medfee_sumamt: Fen | None
    fund_pay_sumamt: Fen | None
    acct_pay: Fen | None
    cash_payamt: Fen | None


class Difference(Message):
    """4009 (and 4008's differences): one settlement on which we and the center differ."""

    setl_id: str
    msgid: str
    psn_no: str
    mdtrt_id: str
    order_no: str
    classification: Literal[
        "CENTER_ONLY", "LEDGER_ONLY", "REVERSED_AT_CENTER", "AMOUNT_MISMATCH", "OTHER"
    ]
    memo: str
    ours: Amounts | None
    center: CenterAmounts | None


class ReconcileTotalsAnswer(Message):
    """4008: the day's totals, ours against the center's, per insurance type; the differing
    settlements when unbalanced."""

    date: Day
    result: Verdict
    ours: DayTotals
    center: Totals | None
    insutypes: list[InsutypeTotals]
    differences: list[Difference] | None = None


class ReconcileDetailAnswer(Message):
    """4009: the day's settlements that differ."""

    date: Day
    result: Verdict
    count: Count
    items: list[Difference]


class InsuranceSignIn(Request):
    """4001: sign in at the center (inside the hospital only)."""

    trade = Trade.INSURANCE_SIGN_IN
    operator: Text


class InsuranceSignOut(Request):
    """4002: sign out at the center (inside the hospital only)."""

    trade = Trade.INSURANCE_SIGN_OUT
    sign_no: Text


class InsuredPerson(Request):
    """4003: the insured person behind an ID card and name."""

    trade = Trade.INSURED_PERSON
    answer = InsuredPersonAnswer
    id_card_no: Text
    name: Text


class Presettle(Request):
    """4004: the split of an order's lock (REG) or listed bills (CHARGE); the amounts are
    the HIS's, never the caller's."""

    trade = Trade.PRESETTLE
    answer = OrderAnswer
    order_no: Text
    mrn: Text
    kind: Literal["REG", "CHARGE"]
    lock_id: Text | None = None
    bill_nos: Annotated[list[Text], Field(min_length=1)] | None = None
    bills_digest: Text | None = None
    acct_used: bool = False

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        if self.kind == "REG" and self.lock_id is None:
            raise ValueError("kind REG needs lock_id")
        if self.kind == "CHARGE" and (self.bill_nos is None or self.bills_digest is None):
            raise ValueError("kind CHARGE needs bill_nos and bills_digest")
        return self


class Settle(Presettle):
    """4005: settle as pre-settled (idempotent on order_no)."""

    trade = Trade.SETTLE


class ReverseSettlement(Request):
    """4006: reverse an order's settlement."""

    trade = Trade.REVERSE_SETTLEMENT
    answer = ReversalAnswer
    order_no: Text
    reason: Text


class QuerySettlement(Request):
    """4007: what the center recorded for an order."""

    trade = Trade.QUERY_SETTLEMENT
    answer = OrderAnswer
    order_no: Text


class ReconcileTotals(Request):
    """4008: one day's totals, ours against the center's."""

    trade = Trade.RECONCILE_TOTALS
    answer = ReconcileTotalsAnswer
    date: Day


class ReconcileDetail(Request):
    """4009: one day's mismatched items."""

    trade = Trade.RECONCILE_DETAIL
    answer = ReconcileDetailAnswer
    date: Day
