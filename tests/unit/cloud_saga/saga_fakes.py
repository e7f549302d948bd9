"""A fake channel that also refunds and lists its day's bill, and order-making helpers."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloud_service.channels.base import BillRow, ChannelRefund
from cloud_service.deps import Deps
from cloud_service.saga import orders
from cloud_service.saga.payments import PaidTrade, record_payment
from cloud_service.saga.worker import drain_once
from tests.unit.cloud_service.fakes import FakeChannel, awaiting_order, new_order


@dataclass
class BillingChannel(FakeChannel):
    """FakeChannel plus refunds (once per out_refund_no) and trade_bill."""

    refunds: dict[str, ChannelRefund] = field(default_factory=dict)
    refund_calls: int = 0

    def find_refund(self, out_trade_no: str, out_refund_no: str) -> ChannelRefund | None:
        """The refund under out_refund_no, or None."""
        return self.refunds.get(out_refund_no)

    def make_refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> ChannelRefund:
        """Refund once per out_refund_no."""
        self.refund_calls += 1
        refund = ChannelRefund(out_trade_no, out_refund_no, "SUCCESS", amount_fen, "RF1")
        return self.refunds.setdefault(out_refund_no, refund)

    def trade_bill(self, bill_date: str) -> list[BillRow]:
        """Every paid trade and every refund, as one day's bill."""
        rows = [
            BillRow("PAYMENT", no, t.transaction_id, t.amount_fen, f"{bill_date} 10:00:00")
            for no, t in self.trades.items()
            if t.state in ("SUCCESS", "REFUND")
        ]
        rows += [
            BillRow("REFUND", r.out_trade_no, "WX1", r.amount_fen, f"{bill_date} 11:00:00",
                    r.out_refund_no)
            for r in self.refunds.values()
        ]  # fmt: skip
        return rows


def paid_order(
    deps: Deps, channel: FakeChannel, pay_mode: str = "INSURANCE", phone: str = "13800000001"
) -> str:
    """An order the patient paid (PAID), the channel holding the money."""
    order_no = awaiting_order(deps, pay_mode, phone)
    order = orders.reload(deps, order_no)
    channel.trades[order_no].state = "SUCCESS"
    taken = record_payment(deps, PaidTrade("WECHAT", order_no, order.cash_fen, "WX1", order_no))
    assert taken == order_no
    return order_no


def run_all(deps: Deps) -> None:
    """Drain the outbox until nothing is due."""
    while drain_once(deps):
        pass


__all__ = ["awaiting_order", "new_order"]
