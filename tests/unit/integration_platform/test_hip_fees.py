"""Registration fees and fee items."""

from __future__ import annotations

import pytest

from integration_platform import fees


@pytest.mark.parametrize("code", sorted(fees.LEVELS))
def test_level_total_is_registration_plus_consultation(code: str) -> None:
    level = fees.level(code)
    assert level.total_fen == level.reg_fee_fen + level.diag_fee_fen
    assert level.reg_fee_fen == 100 and 1000 <= level.diag_fee_fen <= 5000


def test_registration_items_add_up_and_carry_insurance_classes() -> None:
    items = fees.registration_items("ASSOCIATE", 100, 2000)
    assert fees.items_total(items) == 2100
    assert [(i["name"], i["insurance_class"]) for i in items] == [
        ("挂号费", "C"),
        ("诊查费(副主任医师门诊)", "A"),
    ]
    for item in items:
        assert item["amount"] == item["qty"] * item["unit_price"]
        assert item["list_code"] and item["item_code"] and item["spec"]
        assert all(isinstance(item[k], int) for k in ("qty", "unit_price", "amount"))


def test_unknown_level_is_named_by_its_code() -> None:
    assert fees.registration_items("SPECIAL", 0, 500)[1]["name"] == "诊查费(SPECIAL)"
