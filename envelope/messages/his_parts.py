"""The pieces the HIS's answers share: counts, moments, clock times, fees, fee items and the
settlement with its insurance split (money int fen, totals that add up)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, StrictInt, model_validator

from envelope.messages.base import Fen, Message, Text
from envelope.split import SPLIT_PARTS, SPLIT_TOTAL


def _moment(value: str) -> str:
    if datetime.fromisoformat(value).tzinfo is None:
        raise ValueError("must be ISO 8601 with an offset")
    return value


Count = Annotated[StrictInt, Field(ge=0)]
Moment = Annotated[str, AfterValidator(_moment)]  # ISO 8601 with offset
ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]  # HH:MM
PatientType = Literal["SELF_PAY", "EMPLOYEE", "RESIDENT"]
HoldStatus = Literal["LOCKED", "BOOKED", "CONFIRMED", "RELEASED", "CANCELLED"]


class Summed(Message):
    """A total that must be the sum of its parts."""

    def _check_sum(self, total: int, parts: list[int], name: str) -> None:
        if total != sum(parts):
            raise ValueError(f"{name} is not the sum of its parts")


class Fees(Summed):
    """A registration's fees: total = reg_fee + diag_fee."""

    reg_fee: Fen
    diag_fee: Fen
    total: Fen

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        self._check_sum(self.total, [self.reg_fee, self.diag_fee], "total")
        return self


class FeeItem(Summed):
    """A fee item of a bill or a registration: amount = qty x unit_price."""

    item_code: Text
    name: Text
    spec: str
    qty: Annotated[StrictInt, Field(ge=1)]
    unit_price: Fen
    amount: Fen
    insurance_class: Literal["A", "B", "C"]
    list_code: str

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        self._check_sum(self.amount, [self.qty * self.unit_price], "amount")
        return self


class Split(Summed):
    """The insurance split in fen: medfee_sumamt = hifp_pay + acct_pay + psn_cash_pay."""

    medfee_sumamt: Fen
    fulamt_ownpay_amt: Fen | None = None
    preselfpay_amt: Fen | None = None
    inscp_scp_amt: Fen | None = None
    hifp_pay: Fen
    acct_pay: Fen
    psn_cash_pay: Fen

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        parts = [getattr(self, name) for name in SPLIT_PARTS]
        self._check_sum(getattr(self, SPLIT_TOTAL), parts, SPLIT_TOTAL)
        return self


class Settlement(Message):
    """How an order was paid, as the confirm recorded it (the HIS checks the amounts; an
    insurance settlement carries its setl_id and split)."""

    pay_mode: Literal["INSURANCE", "SELF_PAY"]
    channel: Text | None = None
    channel_trade_no: str | None = None
    cash: Fen
    setl_id: Text | None = None
    split: Split | None = None

    @model_validator(mode="after")
    def _insurance_parts(self) -> Self:
        if self.pay_mode == "INSURANCE" and (self.setl_id is None or self.split is None):
            raise ValueError("an insurance settlement carries its setl_id and split")
        return self
