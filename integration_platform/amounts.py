"""The amount check of every confirm: what was paid must equal what the hospital computed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envelope import codes
from envelope.codes import EnvelopeError
from envelope.split import SPLIT_PARTS, SPLIT_TOTAL


def _mismatch(reason: str) -> EnvelopeError:
    return EnvelopeError(codes.AMOUNT_MISMATCH, f"amount mismatch: {reason}")


def _fen(values: Mapping[str, Any], name: str) -> int:
    value = values.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _mismatch(f"{name} must be a non-negative integer of fen")
    return value


def _check_insurance(settlement: Mapping[str, Any], total_fen: int, cash_fen: int) -> None:
    setl_id = settlement.get("setl_id")
    if not isinstance(setl_id, str) or not setl_id.strip():
        raise _mismatch("an insurance settlement needs its setl_id")
    split = settlement.get("split")
    if not isinstance(split, Mapping):
        raise _mismatch("an insurance settlement needs its split")
    medfee, hifp, acct, psn_cash = (_fen(split, name) for name in (SPLIT_TOTAL, *SPLIT_PARTS))
    if medfee != total_fen:
        raise _mismatch(f"medfee_sumamt {medfee} is not the hospital's total {total_fen}")
    if hifp + acct + psn_cash != total_fen:
        raise _mismatch("hifp_pay + acct_pay + psn_cash_pay is not the total")
    if cash_fen != psn_cash:
        raise _mismatch("cash paid is not psn_cash_pay")


def check_settlement(settlement: Mapping[str, Any], total_fen: int) -> None:
    """Refuse (2006) a settlement whose amounts do not add up to ``total_fen``."""
    pay_mode = settlement.get("pay_mode")
    if pay_mode not in ("INSURANCE", "SELF_PAY"):
        raise EnvelopeError(codes.BODY_INVALID, "settlement.pay_mode must be INSURANCE or SELF_PAY")
    cash_fen = _fen(settlement, "cash")
    if pay_mode == "SELF_PAY":
        if cash_fen != total_fen:
            raise _mismatch(f"cash {cash_fen} is not the hospital's total {total_fen}")
        return
    _check_insurance(settlement, total_fen, cash_fen)
