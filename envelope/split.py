"""The insurance split's field names (DESIGN §3), one definition every zone reads and writes.

All are integer fen on the envelope wire; the center writes them in yuan (insurance_frontend
converts at that edge).
"""

from __future__ import annotations

# The total the hospital charged; SPLIT_PARTS must add up to it.
SPLIT_TOTAL = "medfee_sumamt"

# Who pays the total: the pool, the personal account and the patient's own cash.
SPLIT_PARTS = ("hifp_pay", "acct_pay", "psn_cash_pay")

# Every field of the split object of 4004/4005/4007, in the contract's order.
SPLIT_FIELDS = (
    SPLIT_TOTAL,
    "fulamt_ownpay_amt",
    "preselfpay_amt",
    "inscp_scp_amt",
    *SPLIT_PARTS,
)
