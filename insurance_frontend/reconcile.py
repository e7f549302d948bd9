"""4008 reconcile totals (3201 per insurance type, then 3202 when they disagree) and 4009
reconcile detail (3202): the day's settlements in our ledger against what the center recorded.

A settlement counts on the day it was settled while it stands; a reversed one drops out on
both sides, so a reversal made later changes the earlier day the same way at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from insurance_frontend.insured import CenterCalls
from insurance_frontend.ledger import OK, PENDING, UNKNOWN, Ledger
from insurance_frontend.models import InsuranceOrder
from insurance_frontend.national import Operator
from insurance_frontend.orders import SETTLED
from servicekit.money import NotAnAmount, center_yuan_to_fen, fen_to_yuan

INSUTYPES = ("310", "390")  # always asked, so a day we recorded nothing still compares
CLR_TYPE_OUTPATIENT = "11"
AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "cash_payamt")
TOTAL_KEYS = ("count", "medfee_sumamt", "fund_pay_sumamt", "acct_pay")  # what 3201 compares
BALANCED, UNBALANCED = "BALANCED", "UNBALANCED"
CLASSIFICATION = {
    "settled at the center only": "CENTER_ONLY",
    "no such settlement at the center": "LEDGER_ONLY",
    "reversed at the center": "REVERSED_AT_CENTER",
    "amounts differ": "AMOUNT_MISMATCH",
}


@dataclass(frozen=True)
class Mine:
    """One settlement of the day as our ledger has it (fen)."""

    order_no: str
    setl_id: str
    msgid: str
    psn_no: str
    mdtrt_id: str
    insutype: str
    amounts: dict[str, int]


def parse_day(text: str) -> date:
    """The body's date, or 1009."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise EnvelopeError(codes.BODY_INVALID, "date must be a real date yyyy-MM-dd") from None


def _totals(rows: list[Mine]) -> dict[str, int]:
    return {"count": len(rows), **{n: sum(r.amounts[n] for r in rows) for n in AMOUNTS}}


def _center_fen(value: Any) -> int | None:
    try:
        return center_yuan_to_fen(value) if value not in (None, "") else None
    except NotAnAmount:
        return None


class Reconciliation:
    """Compares our settlements of a day with the center's."""

    def __init__(
        self, factory: sessionmaker[Session], ledger: Ledger, center: CenterCalls, admdvs: str
    ) -> None:
        self.factory = factory
        self.ledger = ledger
        self.center = center
        self.admdvs = admdvs

    def ours(self, day: date) -> list[Mine]:
        """Our settlements still standing that were settled on the day (Asia/Shanghai)."""
        start = datetime.combine(day, time(), tzinfo=clock.SHANGHAI)
        with self.factory() as session:
            orders = session.scalars(
                select(InsuranceOrder)
                .where(InsuranceOrder.status == SETTLED)
                .where(InsuranceOrder.settled_at >= start)
                .where(InsuranceOrder.settled_at < start + timedelta(days=1))
                .order_by(InsuranceOrder.id)
            ).all()
        return [self._mine(order) for order in orders]

    def _mine(self, order: InsuranceOrder) -> Mine:
        split = order.split or {}
        settles = [r for r in self.ledger.rows(order.order_no) if r.infno == "2207"]
        msgid = next((str(r.msgid) for r in reversed(settles) if r.outcome == OK), "")
        amounts = {
            "medfee_sumamt": int(split.get("medfee_sumamt", 0)),
            "fund_pay_sumamt": int(split.get("hifp_pay", 0)),
            "acct_pay": int(split.get("acct_pay", 0)),
            "cash_payamt": int(split.get("psn_cash_pay", 0)),
        }
        return Mine(
            order.order_no,
            order.setl_id,
            msgid,
            order.psn_no,
            order.mdtrt_id,
            order.insutype,
            amounts,
        )

    def totals(self, day: date, trace_id: str, who: Operator) -> dict[str, Any]:
        """4008: 3201 per insurance type; when any disagrees, 3202 lists the differences."""
        mine = self.ours(day)
        types = sorted(set(INSUTYPES) | {m.insutype for m in mine})
        per_type = [
            self._totals_of(day, t, [m for m in mine if m.insutype == t], trace_id, who)
            for t in types
        ]
        result = BALANCED if all(p["result"] == BALANCED for p in per_type) else UNBALANCED
        center = None
        if all(p["center"] is not None for p in per_type):
            center = {k: sum(p["center"][k] for p in per_type) for k in TOTAL_KEYS}
        body: dict[str, Any] = {
            "date": day.isoformat(),
            "result": result,
            "ours": _totals(mine),
            "center": center,
            "insutypes": per_type,
        }
        if result == UNBALANCED:
            body["differences"] = self.detail(day, trace_id, who, mine)["items"]
        return body

    def _totals_of(
        self, day: date, insutype: str, mine: list[Mine], trace_id: str, who: Operator
    ) -> dict[str, Any]:
        ours = _totals(mine)
        data = {
            "insutype": insutype,
            "clr_type": CLR_TYPE_OUTPATIENT,
            "setl_optins": self.admdvs,
            "stmt_begndate": day.isoformat(),
            "stmt_enddate": day.isoformat(),
            "medfee_sumamt": fen_to_yuan(ours["medfee_sumamt"]),
            "fund_pay_sumamt": fen_to_yuan(ours["fund_pay_sumamt"]),
            "acct_pay": fen_to_yuan(ours["acct_pay"]),
            "fixmedins_setl_cnt": str(ours["count"]),
        }
        answer = self.center.ask("3201", {"data": data}, trace_id=trace_id, operator=who)
        info = answer.output.get("stmtinfo") or {}
        count = str(info.get("fixmedins_setl_cnt", ""))
        figures = {n: _center_fen(info.get(n)) for n in TOTAL_KEYS[1:]}
        center: dict[str, int] | None = None
        if count.isdigit() and all(v is not None for v in figures.values()):
            center = {"count": int(count), **{k: v or 0 for k, v in figures.items()}}
        return {
            "insutype": insutype,
            "result": BALANCED if str(info.get("stmt_rslt")) == "0" else UNBALANCED,
            "description": str(info.get("stmt_rslt_dscr") or ""),
            "ours": {k: ours[k] for k in TOTAL_KEYS},
            "center": center,
        }

    def detail(
        self, day: date, trace_id: str, who: Operator, mine: list[Mine] | None = None
    ) -> dict[str, Any]:
        """4009: 3202 with every settlement of the day; answers the items that differ."""
        mine = self.ours(day) if mine is None else mine
        totals = _totals(mine)
        data = {
            "setl_optins": self.admdvs,
            "stmt_begndate": day.isoformat(),
            "stmt_enddate": day.isoformat(),
            "medfee_sumamt": fen_to_yuan(totals["medfee_sumamt"]),
            "fund_pay_sumamt": fen_to_yuan(totals["fund_pay_sumamt"]),
            "cash_payamt": fen_to_yuan(totals["cash_payamt"]),
            "fixmedins_setl_cnt": str(totals["count"]),
            "detail": [_detail_row(m) for m in mine],
        }
        answer = self.center.ask("3202", {"data": data}, trace_id=trace_id, operator=who)
        by_setl = {m.setl_id: m for m in mine}
        items = [
            self._item(row, by_setl.get(str(row.get("setl_id") or "")))
            for row in answer.output.get("rows") or []
            if isinstance(row, dict) and str(row.get("stmt_rslt")) != "0"
        ]
        return {
            "date": day.isoformat(),
            "result": UNBALANCED if items else BALANCED,
            "count": len(mine),
            "items": items,
        }

    def _item(self, row: dict[str, Any], mine: Mine | None) -> dict[str, Any]:
        memo = str(row.get("memo") or "")
        classification = next(
            (c for prefix, c in CLASSIFICATION.items() if memo.startswith(prefix)), "OTHER"
        )
        msgid = str(row.get("msgid") or (mine.msgid if mine else ""))
        order_no = mine.order_no if mine else ""
        if mine is None and msgid:
            logged = self.ledger.by_msgid(msgid)
            if logged is not None:
                order_no = logged.order_no or ""
                if logged.outcome in (PENDING, UNKNOWN):
                    memo += "; our 2207 reply was lost: reverse it by 4006 (2601)"
        center = {n: _center_fen(row.get(n)) for n in AMOUNTS}
        return {
            "setl_id": str(row.get("setl_id") or ""),
            "msgid": msgid,
            "psn_no": str(row.get("psn_no") or ""),
            "mdtrt_id": str(row.get("mdtrt_id") or ""),
            "order_no": order_no,
            "classification": classification,
            "memo": memo,
            "ours": mine.amounts if mine else None,
            "center": center if any(v is not None for v in center.values()) else None,
        }


def _detail_row(mine: Mine) -> dict[str, Any]:
    return {
        "setl_id": mine.setl_id,
        "msgid": mine.msgid,
        "psn_no": mine.psn_no,
        "mdtrt_id": mine.mdtrt_id,
        **{name: fen_to_yuan(mine.amounts[name]) for name in AMOUNTS},
    }
