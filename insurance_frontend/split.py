"""The split of a settlement (DESIGN §3), read from the center's setlinfo and checked to add up
to the fen before anything is booked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from envelope.split import SPLIT_FIELDS
from servicekit.money import NotAnAmount, center_yuan_to_fen


class SplitMismatch(ValueError):
    """The center's answer does not add up; it must not be booked."""


@dataclass(frozen=True)
class Split:
    """Integer fen: medfee_sumamt = hifp_pay + acct_pay + psn_cash_pay."""

    medfee_sumamt: int
    fulamt_ownpay_amt: int
    preselfpay_amt: int
    inscp_scp_amt: int
    hifp_pay: int
    acct_pay: int
    psn_cash_pay: int

    def as_body(self) -> dict[str, int]:
        """The split object of 4004/4005/4007."""
        return asdict(self)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Split:
        """Rebuild from a stored split object."""
        return cls(**{name: int(body[name]) for name in SPLIT_FIELDS})


def _fen(setlinfo: Mapping[str, Any], name: str, required: bool = True) -> int:
    value = setlinfo.get(name)
    if value is None or value == "":
        if required:
            raise SplitMismatch(f"setlinfo.{name} is missing")
        return 0
    try:
        return center_yuan_to_fen(value)
    except NotAnAmount as exc:
        raise SplitMismatch(f"setlinfo.{name}: {exc}") from exc


def split_from_setlinfo(setlinfo: Mapping[str, Any]) -> Split:
    """Convert the center's yuan to fen and check every identity, or raise SplitMismatch."""
    split = Split(**{name: _fen(setlinfo, name) for name in SPLIT_FIELDS})
    fund = _fen(setlinfo, "fund_pay_sumamt")
    part = _fen(setlinfo, "psn_part_amt")
    overlimit = _fen(setlinfo, "overlmt_selfpay", required=False)
    if any(value < 0 for value in asdict(split).values()):
        raise SplitMismatch("a split amount is negative")
    if split.medfee_sumamt != split.hifp_pay + split.acct_pay + split.psn_cash_pay:
        raise SplitMismatch("medfee_sumamt != hifp_pay + acct_pay + psn_cash_pay")
    if fund != split.hifp_pay:
        raise SplitMismatch("fund_pay_sumamt != hifp_pay (other funds are not supported)")
    if part != split.acct_pay + split.psn_cash_pay:
        raise SplitMismatch("psn_part_amt != acct_pay + psn_cash_pay")
    scope = split.fulamt_ownpay_amt + overlimit + split.preselfpay_amt + split.inscp_scp_amt
    if scope != split.medfee_sumamt:
        raise SplitMismatch("fulamt_ownpay_amt + preselfpay_amt + inscp_scp_amt != medfee_sumamt")
    return split


def checked_split(output: Mapping[str, Any], total_fen: int) -> Split:
    """The split of a reply's setlinfo, which must add up and total the HIS's fees."""
    split = split_from_setlinfo(output.get("setlinfo") or {})
    if split.medfee_sumamt != total_fen:
        raise SplitMismatch("medfee_sumamt differs from the HIS total")
    return split
