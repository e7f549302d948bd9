"""Registration fees by clinic level and the fee items a registration is settled with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

REG_FEE_ITEM_CODE = "110100001"
DIAG_FEE_ITEM_CODE = "110200001"
# National medical-insurance service-item codes of the two registration items.
REG_FEE_LIST_CODE = "001101000010000-110100001"
DIAG_FEE_LIST_CODE = "001102000010000-110200001"


@dataclass(frozen=True)
class Level:
    """A clinic level: what the patient pays to register and to be seen."""

    code: str
    name: str
    reg_fee_fen: int
    diag_fee_fen: int

    @property
    def total_fen(self) -> int:
        """Registration fee plus consultation fee."""
        return self.reg_fee_fen + self.diag_fee_fen


LEVELS: dict[str, Level] = {
    level.code: level
    for level in (
        Level("GENERAL", "普通门诊", 100, 1000),
        Level("ASSOCIATE", "副主任医师门诊", 100, 2000),
        Level("CHIEF", "主任医师门诊", 100, 3000),
        Level("EXPERT", "知名专家门诊", 100, 5000),
    )
}


def level(code: str) -> Level:
    """The level named by code (KeyError for an unknown one)."""
    return LEVELS[code]


def registration_items(
    level_code: str, reg_fee_fen: int, diag_fee_fen: int
) -> list[dict[str, Any]]:
    """The registration's fee items in the envelope's field names (money in fen)."""
    level_name = LEVELS[level_code].name if level_code in LEVELS else level_code
    rows = [
        (REG_FEE_ITEM_CODE, "挂号费", reg_fee_fen, "C", REG_FEE_LIST_CODE),
        (DIAG_FEE_ITEM_CODE, f"诊查费({level_name})", diag_fee_fen, "A", DIAG_FEE_LIST_CODE),
    ]
    return [
        {
            "item_code": code,
            "name": name,
            "spec": "次",
            "qty": 1,
            "unit_price": fen,
            "amount": fen,
            "insurance_class": klass,
            "list_code": list_code,
        }
        for code, name, fen, klass, list_code in rows
    ]


def items_total(items: list[dict[str, Any]]) -> int:
    """The sum of the items' amounts in fen."""
    return sum(int(item["amount"]) for item in items)
