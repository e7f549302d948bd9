"""The insurance path of one order: 4004 pre-settle (1101, 2201, 2204, 2206), 4005 settle
(2207, idempotent on order_no), 4006 settle reversal and 4007 settle query.

A 2207 whose reply was lost, or whose reply did not add up, is resolved by 2601 (reversal.py)
before anything else happens to the order; 4007 resolves it too, so a caller's
query-before-retry gets a definite answer whenever the center can be reached."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from envelope import clock, codes
from envelope.codes import EnvelopeError
from insurance_frontend import inputs
from insurance_frontend.fees import Fees, SettleRequest, order_fees, patient_identity
from insurance_frontend.hip import HipPort
from insurance_frontend.insured import CenterCalls, Person
from insurance_frontend.ledger import OK, UNKNOWN, Ledger
from insurance_frontend.locks import Lease, held
from insurance_frontend.models import InsuranceOrder
from insurance_frontend.national import Operator
from insurance_frontend.orders import (
    OPEN,
    PRESETTLED,
    REVERSED,
    SETTLED,
    Orders,
    order_body,
    same_order,
)
from insurance_frontend.reversal import Undo
from insurance_frontend.split import Split, SplitMismatch, checked_split

log = logging.getLogger("insurance_frontend.settlement")


class InsuranceSettlement:
    """Pre-settles, settles and answers queries for orders."""

    def __init__(
        self,
        center: CenterCalls,
        hip: HipPort,
        orders: Orders,
        ledger: Ledger,
        redis: Any,
        lock_seconds: float,
    ) -> None:
        # How long a killed worker keeps its order locked; a live one renews it (locks.py).
        self.lock_seconds = lock_seconds
        self.center = center
        self.hip = hip
        self.orders = orders
        self.ledger = ledger
        self.redis = redis
        self.undo = Undo(center, orders, ledger)

    def _order_lock(self, order_no: str, wait: float = 1) -> AbstractContextManager[Lease | None]:
        """Hold the order's lock; yields None (never raises) when another worker has it."""
        return held(self.redis, f"insfe:order:{order_no}", self.lock_seconds, wait)

    @contextmanager
    def _owned(self, order_no: str) -> Iterator[Lease]:
        with self._order_lock(order_no) as lease:
            if lease is None:
                raise EnvelopeError(
                    codes.ORDER_STATE_CONFLICT, "order is being processed; query 4007"
                )
            yield lease

    def presettle(self, req: SettleRequest, trace_id: str, who: Operator) -> dict[str, Any]:
        """4004: register the visit, upload the HIS's fee items, pre-settle."""
        with self._owned(req.order_no):
            order = self.orders.get(req.order_no)
            if order is not None:
                same_order(order, req)
                if order.status in (SETTLED, REVERSED):
                    raise EnvelopeError(codes.ORDER_STATE_CONFLICT, f"order is {order.status}")
                self._resolve_or_refuse(order, trace_id, who)
            id_card_no, name = patient_identity(self.hip, req.mrn, trace_id)
            fees = order_fees(self.hip, req, trace_id)
            person = self.center.person(id_card_no, name, trace_id=trace_id, operator=who)
            if order is None:
                order = self._register(req, person, id_card_no, trace_id, who)
            elif order.psn_no != person.psn_no:
                raise EnvelopeError(codes.PATIENT_MISMATCH, "order belongs to another person")
            self._upload(order, fees, trace_id, who)
            answer = self.center.ask(
                "2206",
                inputs.settle_node(order, fees, id_card_no, req.acct_used),
                trace_id=trace_id,
                operator=who,
                order_no=order.order_no,
                insuplc_admdvs=order.insuplc_admdvs,
            )
            split = self._checked_split(answer.output, fees.total_fen, answer.msgid)
            order = self.orders.update(
                req.order_no,
                (OPEN, PRESETTLED),
                status=PRESETTLED,
                split=split.as_body(),
                medfee_sumamt_fen=fees.total_fen,
                acct_used=req.acct_used,
            )
        return order_body(order)

    def settle(self, req: SettleRequest, trace_id: str, who: Operator) -> dict[str, Any]:
        """4005: settle a pre-settled order with 2207; a settled order answers as before."""
        with self._owned(req.order_no) as lease:
            order = self.orders.get(req.order_no)
            if order is None or order.status == OPEN:
                raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "pre-settle (4004) first")
            same_order(order, req)
            if order.status == SETTLED:
                return order_body(order)
            if order.status != PRESETTLED:
                raise EnvelopeError(codes.ORDER_STATE_CONFLICT, f"order is {order.status}")
            if req.acct_used != order.acct_used:
                raise EnvelopeError(codes.DUPLICATE_ORDER, "acct_used differs from pre-settle")
            self._resolve_or_refuse(order, trace_id, who)
            # the certificate the visit was registered with; the HIS only for older orders
            id_card_no = order.mdtrt_cert_no or patient_identity(self.hip, req.mrn, trace_id)[0]
            fees = order_fees(self.hip, req, trace_id)
            if fees.total_fen != order.medfee_sumamt_fen:
                raise EnvelopeError(codes.AMOUNT_MISMATCH, "fees changed since pre-settle")
            node = inputs.settle_node(order, fees, id_card_no, order.acct_used)
            if not lease.confirm():  # lapsed meanwhile: another worker may be settling
                raise EnvelopeError(
                    codes.ORDER_STATE_CONFLICT, "order lock lost before 2207; query 4007"
                )
            answer = self.center.ask(
                "2207",
                node,
                trace_id=trace_id,
                operator=who,
                order_no=order.order_no,
                insuplc_admdvs=order.insuplc_admdvs,
            )
            return self._book(order, answer.output, answer.msgid, trace_id, who)

    def reverse(self, order_no: str, reason: str, trace_id: str, who: Operator) -> dict[str, Any]:
        """4006: undo the order at the center, idempotent on order_no."""
        with self._owned(order_no):
            return self.undo.reverse(order_no, reason, trace_id, who)

    def query(
        self, order_no: str, trace_id: str = "", who: Operator | None = None
    ) -> dict[str, Any]:
        """4007: what the ledger knows of an order, a lost settle resolved first (2601)."""
        order = self.orders.get(order_no)
        if order is None:
            return {
                "order_no": order_no,
                "status": "NONE",
                "setl_id": "",
                "mdtrt_id": "",
                "split": None,
            }
        if order.status in (OPEN, PRESETTLED) and self.undo.unknown_settles(order_no):
            self._try_resolve(order_no, trace_id, who or Operator())
            order = self.orders.get(order_no) or order
        body = order_body(order)
        if order.status == OPEN:
            body.update(status="NONE", split=None)
        if order.status in (OPEN, PRESETTLED) and self.undo.unknown_settles(order_no):
            body["status"] = UNKNOWN
        return body

    def _try_resolve(self, order_no: str, trace_id: str, who: Operator) -> None:
        """Resolve a lost settle unless another worker is on the order or the center is away."""
        with self._order_lock(order_no) as lease:
            order = self.orders.get(order_no)
            if lease is None or order is None or order.status not in (OPEN, PRESETTLED):
                return
            try:
                self.undo.resolve_lost_settles(order, trace_id, who)
            except EnvelopeError as exc:  # no sign-in serial: the outcome stays unknown
                log.warning("lost settle not resolved: %s", exc.result_msg)

    def _resolve_or_refuse(self, order: InsuranceOrder, trace_id: str, who: Operator) -> None:
        """A settle of this order with no known outcome is reversed by 2601 first, else 3003."""
        if not self.undo.resolve_lost_settles(order, trace_id, who):
            raise EnvelopeError(
                codes.TIMED_OUT,
                "an earlier settle of this order has no known outcome and the center did not "
                "answer its reversal (2601); query 4007 later",
            )

    def _register(
        self, req: SettleRequest, person: Person, id_card_no: str, trace_id: str, who: Operator
    ) -> InsuranceOrder:
        answer = self.center.ask(
            "2201",
            inputs.register_node(req.order_no, person, id_card_no),
            trace_id=trace_id,
            operator=who,
            order_no=req.order_no,
            insuplc_admdvs=person.insuplc_admdvs,
        )
        mdtrt_id = str((answer.output.get("data") or {}).get("mdtrt_id") or "")
        if not mdtrt_id:
            raise EnvelopeError(codes.INSURANCE_REFUSED, "2201 gave no mdtrt_id")
        return self.orders.open(
            order_no=req.order_no,
            mrn=req.mrn,
            kind=req.kind,
            lock_id=req.lock_id,
            bill_nos=list(req.bill_nos),
            psn_no=person.psn_no,
            insutype=person.insutype,
            insuplc_admdvs=person.insuplc_admdvs,
            mdtrt_id=mdtrt_id,
            mdtrt_cert_no=id_card_no,
            chrg_bchno=req.order_no[-30:],
            fees_uploaded=False,
            acct_used=req.acct_used,
            split=None,
        )

    def _upload(self, order: InsuranceOrder, fees: Fees, trace_id: str, who: Operator) -> None:
        """2205 whatever an earlier attempt uploaded, then 2204 the HIS's items."""
        common: dict[str, Any] = {
            "trace_id": trace_id,
            "operator": who,
            "order_no": order.order_no,
            "insuplc_admdvs": order.insuplc_admdvs,
        }
        if order.fees_uploaded:
            self.center.ask("2205", inputs.cancel_fees_node(order), **common)
            self.orders.update(order.order_no, (OPEN, PRESETTLED), fees_uploaded=False)
        node = inputs.fee_detail_node(order, fees)
        answer = self.center.ask("2204", node, **common)
        self.orders.update(order.order_no, (OPEN, PRESETTLED), fees_uploaded=True)
        if len(answer.output.get("result") or []) != len(node["feedetail"]):
            raise EnvelopeError(codes.INSURANCE_REFUSED, "2204 did not accept every fee item")

    def _checked_split(self, output: dict[str, Any], total_fen: int, msgid: str) -> Split:
        """The 2206 reply's split, refused (2015) when it does not add up; nothing moved."""
        try:
            return checked_split(output, total_fen)
        except SplitMismatch as exc:
            self.ledger.mark(msgid, OK, f"reply not booked: {exc}")
            raise EnvelopeError(codes.INSURANCE_REFUSED, f"center reply refused: {exc}") from exc

    def _refuse_settle_reply(
        self, order: InsuranceOrder, msgid: str, why: str, trace_id: str, who: Operator
    ) -> EnvelopeError:
        """A 2207 reply that cannot be booked may still have moved money: reverse it (2601)."""
        self.ledger.mark(msgid, UNKNOWN, f"reply not booked: {why}")
        if self.undo.resolve_lost_settles(order, trace_id, who):
            return EnvelopeError(
                codes.INSURANCE_REFUSED, f"center reply refused ({why}); reversed by 2601"
            )
        return EnvelopeError(
            codes.TIMED_OUT, f"center reply refused ({why}) and its reversal unanswered"
        )

    def _book(
        self,
        order: InsuranceOrder,
        output: dict[str, Any],
        msgid: str,
        trace_id: str,
        who: Operator,
    ) -> dict[str, Any]:
        try:
            split = checked_split(output, order.medfee_sumamt_fen)
        except SplitMismatch as exc:
            raise self._refuse_settle_reply(order, msgid, str(exc), trace_id, who) from exc
        setl_id = str((output.get("setlinfo") or {}).get("setl_id") or "")
        if not setl_id:
            raise self._refuse_settle_reply(order, msgid, "no setl_id", trace_id, who)
        if order.split is not None and split != Split.from_body(order.split):
            self._undo_changed_split(order, setl_id, split, trace_id, who)
        booked = self.orders.update(
            order.order_no,
            (PRESETTLED,),
            status=SETTLED,
            setl_id=setl_id,
            split=split.as_body(),
            settled_at=clock.now(),
        )
        return order_body(booked)

    def _undo_changed_split(
        self, order: InsuranceOrder, setl_id: str, split: Split, trace_id: str, who: Operator
    ) -> None:
        """The patient paid the pre-settled cash: a different split is reversed (2208)."""
        if self.undo.reverse_new_settlement(order, setl_id, trace_id, who):
            raise EnvelopeError(
                codes.AMOUNT_MISMATCH,
                "settlement split differs from the pre-settlement; reversed, pre-settle again",
            )
        self.orders.update(
            order.order_no,
            (PRESETTLED,),
            status=SETTLED,
            setl_id=setl_id,
            split=split.as_body(),
            settled_at=clock.now(),
        )
        raise EnvelopeError(
            codes.AMOUNT_MISMATCH,
            "settlement split differs from the pre-settlement and could not be reversed; "
            "query 4007",
        )
