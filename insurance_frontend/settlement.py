"""The insurance path of one order: 4004 pre-settle (1101, 2201, 2204, 2206), 4005 settle
(2207, idempotent on order_no) and 4007 settle query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from envelope import codes
from envelope.codes import EnvelopeError
from insurance_frontend import inputs
from insurance_frontend.fees import Fees, SettleRequest, order_fees, patient_identity
from insurance_frontend.hip import HipPort
from insurance_frontend.insured import CenterCalls, Person
from insurance_frontend.ledger import OK, PENDING, UNKNOWN, Ledger
from insurance_frontend.models import InsuranceOrder
from insurance_frontend.national import Operator
from insurance_frontend.orders import OPEN, PRESETTLED, REVERSED, SETTLED, Orders
from insurance_frontend.split import Split, SplitMismatch, split_from_setlinfo


class InsuranceSettlement:
    """Pre-settles, settles and answers queries for orders."""

    def __init__(
        self, center: CenterCalls, hip: HipPort, orders: Orders, ledger: Ledger, redis: Any
    ) -> None:
        self.center = center
        self.hip = hip
        self.orders = orders
        self.ledger = ledger
        self.redis = redis

    @contextmanager
    def _order_lock(self, order_no: str) -> Iterator[None]:
        lock = self.redis.lock(f"insfe:order:{order_no}", timeout=300, blocking_timeout=1)
        if not lock.acquire():
            raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "order is being processed; query 4007")
        try:
            yield
        finally:
            lock.release()

    def presettle(self, req: SettleRequest, trace_id: str, who: Operator) -> dict[str, Any]:
        """4004: register the visit, upload the HIS's fee items, pre-settle."""
        with self._order_lock(req.order_no):
            order = self.orders.get(req.order_no)
            if order is not None:
                _same_order(order, req)
                if order.status in (SETTLED, REVERSED):
                    raise EnvelopeError(codes.ORDER_STATE_CONFLICT, f"order is {order.status}")
                self._refuse_if_settle_unknown(req.order_no)
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
            split = self._checked_split(answer.output, fees.total_fen, answer.msgid, False)
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
        with self._order_lock(req.order_no):
            order = self.orders.get(req.order_no)
            if order is None or order.status == OPEN:
                raise EnvelopeError(codes.ORDER_STATE_CONFLICT, "pre-settle (4004) first")
            _same_order(order, req)
            if order.status == SETTLED:
                return order_body(order)
            if order.status != PRESETTLED:
                raise EnvelopeError(codes.ORDER_STATE_CONFLICT, f"order is {order.status}")
            if req.acct_used != order.acct_used:
                raise EnvelopeError(codes.DUPLICATE_ORDER, "acct_used differs from pre-settle")
            self._refuse_if_settle_unknown(req.order_no)
            id_card_no, _name = patient_identity(self.hip, req.mrn, trace_id)
            fees = order_fees(self.hip, req, trace_id)
            if fees.total_fen != order.medfee_sumamt_fen:
                raise EnvelopeError(codes.AMOUNT_MISMATCH, "fees changed since pre-settle")
            node = inputs.settle_node(order, fees, id_card_no, order.acct_used)
            answer = self.center.ask(
                "2207",
                node,
                trace_id=trace_id,
                operator=who,
                order_no=order.order_no,
                insuplc_admdvs=order.insuplc_admdvs,
            )
            return self._book(order, answer.output, answer.msgid, trace_id, who)

    def query(self, order_no: str) -> dict[str, Any]:
        """4007: what the ledger knows of an order."""
        order = self.orders.get(order_no)
        if order is None:
            return {
                "order_no": order_no,
                "status": "NONE",
                "setl_id": "",
                "mdtrt_id": "",
                "split": None,
            }
        body = order_body(order)
        if order.status == OPEN:
            body.update(status="NONE", split=None)
        if order.status in (OPEN, PRESETTLED) and self._settle_unknown(order_no):
            body["status"] = UNKNOWN
        return body

    def _settle_unknown(self, order_no: str) -> bool:
        last = self.ledger.latest(order_no, "2207")
        return last is not None and last.outcome in (PENDING, UNKNOWN)

    def _refuse_if_settle_unknown(self, order_no: str) -> None:
        if self._settle_unknown(order_no):
            raise EnvelopeError(
                codes.TIMED_OUT,
                "an earlier settle of this order has no known outcome; it must be resolved first",
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

    def _checked_split(
        self, output: dict[str, Any], total_fen: int, msgid: str, settled: bool
    ) -> Split:
        """The reply's split, refused (2015, ledger marked) when it does not add up.

        A 2207 whose reply is refused may have moved money: its row becomes UNKNOWN.
        """
        try:
            split = split_from_setlinfo(output.get("setlinfo") or {})
            if split.medfee_sumamt != total_fen:
                raise SplitMismatch("medfee_sumamt differs from the HIS total")
        except SplitMismatch as exc:
            self.ledger.mark(msgid, UNKNOWN if settled else OK, f"reply not booked: {exc}")
            raise EnvelopeError(codes.INSURANCE_REFUSED, f"center reply refused: {exc}") from exc
        return split

    def _book(
        self,
        order: InsuranceOrder,
        output: dict[str, Any],
        msgid: str,
        trace_id: str,
        who: Operator,
    ) -> dict[str, Any]:
        split = self._checked_split(output, order.medfee_sumamt_fen, msgid, True)
        setl_id = str((output.get("setlinfo") or {}).get("setl_id") or "")
        if not setl_id:
            self.ledger.mark(msgid, UNKNOWN, "reply not booked: no setl_id")
            raise EnvelopeError(codes.INSURANCE_REFUSED, "center reply refused: no setl_id")
        if order.split is not None and split != Split.from_body(order.split):
            self._undo_changed_split(order, setl_id, split, trace_id, who)
        booked = self.orders.update(
            order.order_no, (PRESETTLED,), status=SETTLED, setl_id=setl_id, split=split.as_body()
        )
        return order_body(booked)

    def _undo_changed_split(
        self, order: InsuranceOrder, setl_id: str, split: Split, trace_id: str, who: Operator
    ) -> None:
        """The patient paid the pre-settled cash: a different split is reversed (2208)."""
        answer = self.center.national.call(
            "2208",
            inputs.reverse_node(order, setl_id),
            sign_no=self.center.signins.ensure(),
            insuplc_admdvs=order.insuplc_admdvs,
            order_no=order.order_no,
            trace_id=trace_id,
            operator=who,
        )
        if answer.outcome != OK:
            self.orders.update(
                order.order_no,
                (PRESETTLED,),
                status=SETTLED,
                setl_id=setl_id,
                split=split.as_body(),
            )
            raise EnvelopeError(
                codes.AMOUNT_MISMATCH,
                "settlement split differs from the pre-settlement and could not be reversed; "
                "query 4007",
            )
        raise EnvelopeError(
            codes.AMOUNT_MISMATCH,
            "settlement split differs from the pre-settlement; reversed, pre-settle again",
        )


def _same_order(order: InsuranceOrder, req: SettleRequest) -> None:
    if (order.mrn, order.kind, order.lock_id, tuple(order.bill_nos or ())) != (
        req.mrn,
        req.kind,
        req.lock_id,
        req.bill_nos,
    ):
        raise EnvelopeError(codes.DUPLICATE_ORDER)


def order_body(order: InsuranceOrder) -> dict[str, Any]:
    """The answer of 4004, 4005 and 4007 for an order."""
    return {
        "order_no": order.order_no,
        "status": order.status,
        "setl_id": order.setl_id,
        "mdtrt_id": order.mdtrt_id,
        "psn_no": order.psn_no,
        "insutype": order.insutype,
        "split": order.split,
    }
