"""Undoing an order's insurance path in reverse (DESIGN §9): 2208 for a known settlement, or
2601 by message id when a 2207 reply was lost; then 2205 ("0000") and 2202.

The rule for a lost 2207 reply (ledger row PENDING or UNKNOWN): it is resolved by 2601, which
the center answers whether or not the 2207 ever arrived. Afterwards the outcome is definite:
nothing is settled and the order is PRESETTLED again, so 4007 answers PRESETTLED and a retried
4005 settles anew under a new msgid. Only while the 2601 itself gets no answer (the center
cannot be reached, or that reply is lost too) does the order stay UNKNOWN.
"""

from __future__ import annotations

import logging
from typing import Any

from envelope import clock, codes
from envelope.codes import EnvelopeError
from insurance_frontend import inputs
from insurance_frontend.insured import CenterCalls
from insurance_frontend.ledger import OK, PENDING, UNKNOWN, Ledger
from insurance_frontend.models import InsuranceOrder
from insurance_frontend.national import Answer, Operator
from insurance_frontend.orders import OPEN, PRESETTLED, REVERSED, SETTLED, Orders
from servicekit.money import NotAnAmount, center_yuan_to_fen

log = logging.getLogger("insurance_frontend.reversal")

REVERSED_OUTCOME = "REVERSED"  # ledger outcome of a 2207 undone by 2601
CHECKED = ("medfee_sumamt", "hifp_pay", "acct_pay", "psn_cash_pay")


class Undo:
    """Reverses settlements and cancels visits for orders."""

    def __init__(self, center: CenterCalls, orders: Orders, ledger: Ledger) -> None:
        self.center = center
        self.orders = orders
        self.ledger = ledger

    def _send(self, infno: str, node: dict[str, Any], order: InsuranceOrder, **ids: Any) -> Answer:
        return self.center.national.call(
            infno,
            node,
            sign_no=self.center.signins.ensure(),
            insuplc_admdvs=order.insuplc_admdvs,
            order_no=order.order_no,
            **ids,
        )

    def unknown_settles(self, order_no: str) -> list[str]:
        """msgids of this order's 2207 messages whose outcome is not known."""
        return self.ledger.unsettled(order_no, "2207", (PENDING, UNKNOWN))

    def resolve_lost_settles(self, order: InsuranceOrder, trace_id: str, who: Operator) -> bool:
        """2601 for every 2207 of the order with no known outcome; True when none is left.

        The caller holds the order's lock, so a PENDING row is one a crashed process left.
        """
        for msgid in self.unknown_settles(order.order_no):
            node = inputs.reverse_by_message_node(order, msgid, "2207")
            answer = self._send("2601", node, order, trace_id=trace_id, operator=who)
            if answer.outcome != OK:
                log.warning("2601 for a lost 2207 got no definite answer: %s", answer.err_msg)
                return False
            self.ledger.mark(msgid, REVERSED_OUTCOME, f"reversed by 2601 {answer.msgid}")
        return True

    def reverse(self, order_no: str, reason: str, trace_id: str, who: Operator) -> dict[str, Any]:
        """4006 (the caller holds the order's lock): settlement reversed, fees and visit
        cancelled, order REVERSED; an order already REVERSED answers as before."""
        order = self.orders.get(order_no)
        if order is None:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, "no insurance order with this order_no")
        if order.status == REVERSED:
            return reversed_body(order)
        if order.status == SETTLED:
            self._reverse_settlement(order, trace_id, who)
        elif not self.resolve_lost_settles(order, trace_id, who):
            raise EnvelopeError(
                codes.TIMED_OUT, "2601 reversal of a lost settle got no answer; send 4006 again"
            )
        self._cancel_visit(order, trace_id, who)
        done = self.orders.update(
            order_no,
            (OPEN, PRESETTLED, SETTLED),
            status=REVERSED,
            reversed_at=clock.now(),
            reverse_reason=reason[:255],
        )
        return reversed_body(done)

    def _reverse_settlement(self, order: InsuranceOrder, trace_id: str, who: Operator) -> None:
        """2208 with the known setl_id; the reversed amounts must mirror the booked split."""
        node = inputs.reverse_node(order, order.setl_id)
        answer = self._send("2208", node, order, trace_id=trace_id, operator=who)
        if answer.outcome == UNKNOWN:
            raise EnvelopeError(codes.TIMED_OUT, "2208 reversal: no reply; send 4006 again")
        if answer.outcome != OK:
            if not answer.reached:
                raise EnvelopeError(codes.INSURANCE_UNAVAILABLE)
            raise EnvelopeError(codes.INSURANCE_REFUSED, f"2208 refused: {answer.err_msg}")
        problem = mirror_problem(answer.output.get("setlinfo") or {}, order.split or {})
        if problem:
            self.ledger.mark(answer.msgid, UNKNOWN, f"reply not booked: {problem}")
            raise EnvelopeError(
                codes.INSURANCE_REFUSED,
                f"2208 reply refused ({problem}); reconcile detail (4009) shows the center",
            )

    def reverse_new_settlement(
        self, order: InsuranceOrder, setl_id: str, trace_id: str, who: Operator
    ) -> bool:
        """2208 for a settlement just made but not booked; True when the center reversed it."""
        node = inputs.reverse_node(order, setl_id)
        return self._send("2208", node, order, trace_id=trace_id, operator=who).outcome == OK

    def _cancel_visit(self, order: InsuranceOrder, trace_id: str, who: Operator) -> None:
        """2205 ("0000") then 2202; no money moves, so a failure is logged, not raised."""
        for infno, node in (
            ("2205", inputs.cancel_fees_node(order)),
            ("2202", inputs.cancel_visit_node(order)),
        ):
            answer = self._send(infno, node, order, trace_id=trace_id, operator=who)
            if answer.outcome != OK:
                log.warning("%s while undoing an order failed: %s", infno, answer.err_msg)


def mirror_problem(setlinfo: dict[str, Any], booked: dict[str, Any]) -> str:
    """'' when the reversal's amounts are exactly the booked split negated, else why not."""
    for name in CHECKED:
        try:
            reversed_fen = center_yuan_to_fen(setlinfo.get(name, ""))
        except NotAnAmount:
            return f"setlinfo.{name} unreadable"
        if reversed_fen != -int(booked.get(name, 0)):
            return f"reversed {name} is not the settled amount"
    return ""


def reversed_body(order: InsuranceOrder) -> dict[str, Any]:
    """The answer of 4006: the reversed settlement (setl_id '' when none was ever known)."""
    return {
        "order_no": order.order_no,
        "status": order.status,
        "setl_id": order.setl_id,
        "mdtrt_id": order.mdtrt_id,
        "psn_no": order.psn_no,
        "reversed_split": order.split if order.setl_id else None,
        "reason": order.reverse_reason,
    }
