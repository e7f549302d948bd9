"""Comparing the ledgers of one day, pure logic: each difference gets a class and a rule.

Classes (DESIGN §6): PAID_AT_CHANNEL_ONLY, SETTLED_AT_INSURANCE_ONLY, IN_HIS_ONLY,
AMOUNT_MISMATCH, REFUNDED_OFFLINE; and, for what only the cloud holds, MISSING_AT_CHANNEL,
MISSING_AT_INSURANCE, MISSING_IN_HIS, STUCK_CONFIRM. A repair names the rule that may fix it
safely; an empty repair means a person decides.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from cloud_service import saga
from cloud_service.channels.base import BillRow

# Repairs made by rule (reconcile/repair.py carries them out).
REVERSE_ORPHAN_SETTLEMENT = "reverse_orphan_settlement"
REFUND_ORPHAN_PAYMENT = "refund_orphan_payment"
COMPLETE_STUCK_CONFIRM = "complete_stuck_confirm"

# Where the HIS and the insurance ledger stand for an order.
RECORDED, NOT_RECORDED, UNKNOWN = "RECORDED", "NOT_RECORDED", "UNKNOWN"
UNDONE = frozenset({saga.CANCELLED, saga.CLOSED, saga.REFUNDED})
MOVING = frozenset({saga.PAID, saga.INSURANCE_SETTLED})
# Confirmed, and still so after a partial refund at the window (the channel keeps the payment).
DONE = frozenset({saga.CONFIRMED, saga.PARTIALLY_REFUNDED})
PAID_IN_CLOUD = frozenset({*DONE, *MOVING})
CLOSED_UNPAID = frozenset({saga.CANCELLED, saga.CLOSED})
# 4007 answers under which a confirmed, recorded order has no insurance difference.
AGREEING_INSURANCE = frozenset({"SETTLED", "", UNKNOWN})


class OrderFacts(NamedTuple):
    """One cloud order and what the HIS and the insurance ledger say of it (a named tuple:
    a day can have a million of them passing through a comparison)."""

    order_no: str
    kind: str
    state: str
    pay_mode: str
    channel: str
    out_trade_no: str | None
    cash_fen: int
    setl_id: str | None
    his: str = UNKNOWN  # RECORDED, NOT_RECORDED, UNKNOWN
    insurance: str = ""  # 4007's status (SETTLED, NONE, REVERSED, ...), "" for self-pay
    stale: bool = False  # PAID or INSURANCE_SETTLED for longer than a confirm takes
    window_refund: bool = False  # REFUNDED by a 6003 notice


@dataclass
class Difference:
    """One difference between the ledgers, and what was (or must be) done about it."""

    kind: str
    order_no: str
    detail: str
    repair: str = ""  # a rule's name, or "" for a person
    status: str = "OPEN"  # OPEN, REPAIRED, FOR_PERSON, FAILED, INFO
    amounts: dict[str, int] = field(default_factory=dict)
    audit_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The difference as the report's JSON."""
        return asdict(self)


def _channel(order: OrderFacts, paid_fen: int | None, refunds: set[str]) -> list[Difference]:
    out: list[Difference] = []
    key = order.out_trade_no or ""
    if paid_fen is not None and paid_fen != order.cash_fen:
        amounts = {"channel_fen": int(paid_fen), "cloud_fen": order.cash_fen}
        out.append(
            Difference("AMOUNT_MISMATCH", order.order_no, "channel paid", "", amounts=amounts)
        )
    elif (
        paid_fen is not None
        and order.state in CLOSED_UNPAID
        and not (key in refunds or order.his == RECORDED)
    ):
        out.append(
            Difference(
                "PAID_AT_CHANNEL_ONLY",
                order.order_no,
                f"{order.channel} took the money of a {order.state} order",
                REFUND_ORPHAN_PAYMENT,
                amounts={"channel_fen": int(paid_fen)},
            )
        )
    paid_in_cloud = order.state in PAID_IN_CLOUD and order.cash_fen > 0
    if paid_in_cloud and paid_fen is None:
        out.append(
            Difference("MISSING_AT_CHANNEL", order.order_no, "paid in the cloud, not in the bill")
        )
    return out


def _insurance(order: OrderFacts) -> list[Difference]:
    if order.pay_mode != "INSURANCE" or order.insurance in ("", "UNKNOWN"):
        return []
    settled = order.insurance == "SETTLED"
    if settled and order.his != RECORDED and (order.state in UNDONE):
        return [
            Difference(
                "SETTLED_AT_INSURANCE_ONLY",
                order.order_no,
                f"insurance settled a {order.state} order the HIS never recorded",
                REVERSE_ORPHAN_SETTLEMENT,
            )
        ]
    if not settled and order.state in DONE and order.setl_id:
        return [
            Difference("MISSING_AT_INSURANCE", order.order_no, f"insurance says {order.insurance}")
        ]
    return []


def _his(order: OrderFacts) -> list[Difference]:
    if order.his == RECORDED and order.state in MOVING:
        return [
            Difference("STUCK_CONFIRM", order.order_no, "HIS recorded it, the cloud did not",
                       COMPLETE_STUCK_CONFIRM)
        ]  # fmt: skip
    if order.his == NOT_RECORDED and order.state in MOVING and order.stale:
        return [
            Difference("STUCK_CONFIRM", order.order_no, f"{order.state} for too long",
                       COMPLETE_STUCK_CONFIRM)
        ]  # fmt: skip
    if order.his == RECORDED and order.state in UNDONE and not order.window_refund:
        return [Difference("IN_HIS_ONLY", order.order_no, f"HIS recorded a {order.state} order")]
    if order.his == NOT_RECORDED and order.state in DONE:
        return [Difference("MISSING_IN_HIS", order.order_no, "confirmed, the HIS has no record")]
    return []


class _Known(int):
    """A bill amount whose trade an order of the day has: the same value, marked as known."""

    __slots__ = ()


@dataclass
class BillIndex:
    """A channel bill held compactly for one comparison: per trade the amount of its last
    payment row, the trades with a refund row, and the refunds the saga did not make."""

    paid: dict[str, int] = field(default_factory=dict)
    refunded: set[str] = field(default_factory=set)
    offline: list[Difference] = field(default_factory=list)

    @classmethod
    def read(cls, bill: Iterable[BillRow], our_refund_nos: Container[str]) -> BillIndex:
        """One pass over the bill; equal amounts share one int object."""
        index = cls()
        paid = index.paid
        amounts: dict[int, int] = {}
        for row in bill:
            kind, trade, _, fen, _, refund_no = row  # unpacking: cheaper than six lookups
            if kind == "PAYMENT":
                paid[trade] = amounts.setdefault(fen, fen)
            elif kind == "REFUND":
                index.refunded.add(trade)
                if refund_no not in our_refund_nos:
                    index.offline.append(_offline(row))
        return index

    def unknown(self) -> set[str]:
        """The paid trades no order has claimed."""
        return {key for key, fen in self.paid.items() if type(fen) is not _Known}


def _unknown_payment(row: BillRow) -> Difference:
    return Difference(
        "PAID_AT_CHANNEL_ONLY",
        row.out_trade_no,
        f"payment {row.transaction_id} of no order of this day",
        amounts={"channel_fen": row.amount_fen},
    )


def _offline(row: BillRow) -> Difference:
    return Difference(
        "REFUNDED_OFFLINE",
        row.out_trade_no,
        f"refund {row.out_refund_no or '?'} not made by the saga",
        status="INFO",
        amounts={"refund_fen": row.amount_fen},
    )


def _bill_rows(
    bill: Iterable[BillRow], unknown: set[str], our_refund_nos: Container[str]
) -> list[Difference]:
    out: list[Difference] = []
    for row in bill:
        if row.kind == "PAYMENT" and row.out_trade_no in unknown:
            out.append(_unknown_payment(row))
        if row.kind == "REFUND" and row.out_refund_no not in our_refund_nos:
            out.append(_offline(row))
    return out


def compare_orders(
    orders: Iterable[OrderFacts], bill: Iterable[BillRow], our_refund_nos: Container[str]
) -> list[Difference]:
    """Every difference between the cloud's orders, the channel bills and the HIS/insurance
    answers; bill rows of unknown trades and refunds we never made are listed too (after
    the orders' differences, in bill order).

    ``orders`` is read once, in one pass, and never held. ``bill`` is read once into a
    compact index (an amount per trade), and a second time only when some payment has no
    order of the day, for those rows' transaction ids: a list, or an object that reads its
    file afresh on each iteration; a one-shot iterator is kept in a list for that."""
    rows = list(bill) if iter(bill) is bill else bill
    index = BillIndex.read(rows, our_refund_nos)
    paid, refunded = index.paid, index.refunded
    marks: dict[int, _Known] = {}
    claimed = 0
    out: list[Difference] = []
    confirmed = saga.CONFIRMED
    for order in orders:
        key = order.out_trade_no
        paid_fen = paid.get(key or "")
        # Most orders of a day agree everywhere: confirmed, recorded by the HIS, paid at the
        # channel what the cloud holds, settled (or not insured). The three rules find
        # nothing in such an order, so it skips them (a third of the comparison's time).
        if not (
            paid_fen == order.cash_fen
            and order.state == confirmed
            and order.his == RECORDED
            and order.insurance in AGREEING_INSURANCE
        ):
            out += _channel(order, paid_fen, refunded)  # three +=, not a + b + c
            out += _insurance(order)
            out += _his(order)
        if key and paid_fen is not None and type(paid_fen) is not _Known:  # claim the trade
            mark = marks.get(paid_fen)
            if mark is None:
                mark = marks[paid_fen] = _Known(paid_fen)
            paid[key] = mark
            claimed += 1
    if claimed == len(paid):  # every paid trade has its order
        return out + index.offline
    return out + _bill_rows(rows, index.unknown(), our_refund_nos)


def item_order_no(item: Mapping[str, Any]) -> str:
    """The order a 4009 item names (its setl_id when it names none)."""
    return str(item.get("order_no") or item.get("setl_id") or "")


def insurance_items(
    items: list[dict[str, Any]], orders: Mapping[str, OrderFacts]
) -> list[Difference]:
    """4009's mismatched items: a center-only settlement of an undone, unrecorded order is
    reversed by rule; every other item goes to a person. ``orders`` needs only the orders
    the items name."""
    out: list[Difference] = []
    for item in items:
        order_no = item_order_no(item)
        order = orders.get(order_no)
        kind = str(item.get("classification", ""))
        orphan = (
            kind == "CENTER_ONLY"
            and order is not None
            and order.state in UNDONE
            and order.his != RECORDED
        )
        out.append(
            Difference(
                "SETTLED_AT_INSURANCE_ONLY" if kind == "CENTER_ONLY" else "AMOUNT_MISMATCH",
                order_no,
                f"insurance center: {kind} {item.get('memo') or ''}".strip(),
                REVERSE_ORPHAN_SETTLEMENT if orphan else "",
            )
        )
    return out
