"""The split's field names are one definition (DESIGN §3) that every zone reads the same."""

from __future__ import annotations

import cloud_service.split
import insurance_frontend.split
from envelope.split import SPLIT_FIELDS, SPLIT_PARTS, SPLIT_TOTAL


def test_split_fields_are_the_contract_names_in_order() -> None:
    assert SPLIT_FIELDS == (
        "medfee_sumamt",
        "fulamt_ownpay_amt",
        "preselfpay_amt",
        "inscp_scp_amt",
        "hifp_pay",
        "acct_pay",
        "psn_cash_pay",
    )


def test_the_parts_that_add_up_to_the_total_are_inside_the_split() -> None:
    assert SPLIT_TOTAL == "medfee_sumamt"
    assert set(SPLIT_PARTS) == {"hifp_pay", "acct_pay", "psn_cash_pay"}
    assert {SPLIT_TOTAL, *SPLIT_PARTS} <= set(SPLIT_FIELDS)


def test_cloud_and_frontend_read_the_one_shared_definition() -> None:
    assert cloud_service.split.SPLIT_FIELDS is SPLIT_FIELDS
    assert insurance_frontend.split.SPLIT_FIELDS is SPLIT_FIELDS
