"""The insurance split (DESIGN §3): integer fen that must add up before anyone relies on it."""

from __future__ import annotations

from typing import Any

from cloud_service.errors import CloudError
from envelope import codes
from envelope.split import SPLIT_FIELDS


def check_split(split: dict[str, Any], total_fen: int) -> dict[str, int]:
    """Return the split as ints, or refuse (2006) one that does not add up to the total."""
    try:
        values = {name: split[name] for name in SPLIT_FIELDS}
    except KeyError as exc:
        raise CloudError(codes.AMOUNT_MISMATCH, f"医保结算结果缺少 {exc.args[0]}") from exc
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()):
        raise CloudError(codes.AMOUNT_MISMATCH, "医保结算金额须为整数（分）")
    if values["medfee_sumamt"] != total_fen:
        raise CloudError(codes.AMOUNT_MISMATCH, "医保结算总额与医院计费总额不符")
    if values["hifp_pay"] + values["acct_pay"] + values["psn_cash_pay"] != total_fen:
        raise CloudError(codes.AMOUNT_MISMATCH, "医保结算各部分之和与总额不符")
    return values
