"""What must hold after the chaos, read from the four ledgers themselves: the cloud's orders,
the channels' trades and refunds, the HIS, and the insurance ledger (through 4007/4008)."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.stack import Stack
from envelope import clock
from tests.e2e.his_access import hospital_client

FINAL = ("CONFIRMED", "CANCELLED", "CLOSED", "REFUNDED")


@dataclass(frozen=True)
class Violation:
    """One broken rule and the orders it is about (none for a ledger-wide difference)."""

    text: str
    order_nos: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return list(db.execute(sql).fetchall())


def cloud_orders(stack: Stack) -> list[dict[str, Any]]:
    """Every order of the cloud's ledger."""
    cols = ("order_no", "kind", "state", "pay_mode", "channel", "out_trade_no", "cash_fen")
    rows = _rows(stack.var_dir / "cloud_service.db", f"SELECT {', '.join(cols)} FROM orders")
    return [dict(zip(cols, row, strict=True)) for row in rows]


def _taken_and_refunds(stack: Stack) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Cash each out_trade_no took at its channel, and the refunds of each."""
    var = stack.var_dir
    taken: dict[str, int] = {}
    refunds: dict[str, list[int]] = defaultdict(list)
    wx = (
        "SELECT out_trade_no, amount_fen FROM wxsim_trade WHERE trade_state IN ('SUCCESS','REFUND')"
    )
    ali = "SELECT out_trade_no, amount_fen FROM alisim_trade WHERE gmt_payment != ''"
    for db, sql in ((var / "wechatpay.db", wx), (var / "alipay.db", ali)):
        taken.update({no: fen for no, fen in _rows(db, sql)})
    wx_refunds = "SELECT out_trade_no, refund_fen FROM wxsim_refund WHERE status != 'CLOSED'"
    ali_refunds = "SELECT out_trade_no, refund_fen FROM alisim_refund"
    for db, sql in ((var / "wechatpay.db", wx_refunds), (var / "alipay.db", ali_refunds)):
        for no, fen in _rows(db, sql):
            refunds[no].append(fen)
    return taken, refunds


def his_recorded(stack: Stack) -> dict[str, dict[str, Any]]:
    """order_no -> the settlement the HIS recorded (confirmed registrations, paid charges)."""
    db = stack.var_dir / "integration_platform.db"
    regs = _rows(db, "SELECT order_no, settlement FROM registrations WHERE status = 'CONFIRMED'")
    charges = _rows(db, "SELECT order_no, settlement FROM charges WHERE status = 'PAID'")
    return {no: json.loads(settlement or "{}") for no, settlement in regs + charges}


def _his_double_sales(stack: Stack) -> list[Violation]:
    db = stack.var_dir / "integration_platform.db"
    held: dict[str, list[str]] = defaultdict(list)
    active = "SELECT slot_id, order_no FROM registrations WHERE status IN "
    for slot, order_no in _rows(db, active + "('LOCKED','BOOKED','CONFIRMED')"):
        held[slot].append(order_no)
    out = [
        Violation(f"slot {slot} held {len(nos)} times", tuple(nos))
        for slot, nos in held.items()
        if len(nos) > 1
    ]
    paid: dict[str, list[str]] = defaultdict(list)
    for order_no, bill_nos in _rows(
        db, "SELECT order_no, bill_nos FROM charges WHERE status = 'PAID'"
    ):
        for bill in json.loads(bill_nos):
            paid[bill].append(order_no)
    out += [
        Violation(f"bill {bill} paid {len(nos)} times", tuple(nos))
        for bill, nos in paid.items()
        if len(nos) > 1
    ]
    return out


def _insured_status(stack: Stack, order_no: str) -> str:
    reply = hospital_client(stack, "INSFE").send("4007", {"order_no": order_no})
    return str(reply.body.get("status")) if reply.ok else f"error {reply.result_code}"


def _order_violations(
    o: dict[str, Any], taken: dict[str, int], refunds: dict[str, list[int]], his: dict[str, Any]
) -> list[str]:
    no = o["order_no"]
    out = [f"{no} is still {o['state']}"] if o["state"] not in FINAL else []
    cash = taken.get(o["out_trade_no"] or "", 0)
    back = refunds.get(o["out_trade_no"] or "", [])
    if len(back) > 1:
        out.append(f"{no} refunded {len(back)} times")
    recorded = his.get(no)
    his_cash = int(recorded.get("cash", 0)) if recorded else 0
    if cash != sum(back) + his_cash:
        out.append(f"{no}: took {cash}, refunded {sum(back)}, HIS recorded {his_cash}")
    if (o["state"] == "CONFIRMED") != (recorded is not None):
        out.append(f"{no} is {o['state']} but the HIS {'has' if recorded else 'lacks'} it")
    return out


def violations(stack: Stack) -> list[Violation]:
    """Every broken rule, one each; [] when money was never lost."""
    taken, refunds = _taken_and_refunds(stack)
    his = his_recorded(stack)
    out: list[Violation] = []
    for o in cloud_orders(stack):
        no = o["order_no"]
        texts = _order_violations(o, taken, refunds, his)
        if o["pay_mode"] == "INSURANCE":
            settled = _insured_status(stack, no) == "SETTLED"
            if settled != (no in his):
                texts.append(f"{no}: insurance settled {settled}, HIS recorded {no in his}")
        out += [Violation(text, (no,)) for text in texts]
    out += _his_double_sales(stack)
    totals = hospital_client(stack, "INSFE").send("4008", {"date": clock.today().isoformat()})
    if not (totals.ok and totals.body.get("result") == "BALANCED"):
        differences = totals.body.get("differences")
        out.append(Violation(f"insurance ledger and center differ: {differences}"))
    return out
