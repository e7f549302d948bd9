"""The insurance split (DESIGN §3): integer fen that must add up before anyone relies on it."""

from __future__ import annotations

from typing import Any

from cloud_service.errors import CloudError
from envelope import codes

SPLIT_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "preselfpay_amt",
    "inscp_scp_amt",
    "hifp_pay",
    "acct_pay",
    "psn_cash_pay",
)


def check_split(split: dict[str, Any], total_fen: int) -> dict[str, int]:
    """Return the split as ints, or refuse (2006) one that does not add up to the total."""
    try:
        values = {name: split[name] for name in SPLIT_FIELDS}
    except KeyError as exc:
        raise CloudError(codes.AMOUNT_MISMATCH, f"insurance split lacks {exc.args[0]}") from exc
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()):
        raise CloudError(codes.AMOUNT_MISMATCH, "insurance split amounts must be fen integers")
    if values["medfee_sumamt"] != total_fen:
        raise CloudError(
            codes.AMOUNT_MISMATCH, "insurance total differs from the hospital's fee total"
        )
    if values["hifp_pay"] + values["acct_pay"] + values["psn_cash_pay"] != total_fen:
        raise CloudError(codes.AMOUNT_MISMATCH, "insurance split does not add up to the total")
    return values
