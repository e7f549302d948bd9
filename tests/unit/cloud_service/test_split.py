"""The insurance split must add up in fen before anyone relies on it."""

from __future__ import annotations

import pytest

from cloud_service.errors import CloudError
from cloud_service.split import check_split
from envelope import codes
from tests.unit.cloud_service.answers import SPLIT


def test_a_consistent_split_passes() -> None:
    assert check_split(dict(SPLIT), 1100) == SPLIT


@pytest.mark.parametrize(
    ("change", "total"),
    [
        ({"psn_cash_pay": 101}, 1100),
        ({}, 1200),
        ({"hifp_pay": "700"}, 1100),
        ({"acct_pay": -1, "psn_cash_pay": 401}, 1100),
    ],
)
def test_a_split_that_does_not_add_up_is_2006(change: dict[str, object], total: int) -> None:
    with pytest.raises(CloudError) as caught:
        check_split({**SPLIT, **change}, total)
    assert caught.value.result_code == codes.AMOUNT_MISMATCH
