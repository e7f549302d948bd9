"""What an order costs, asked of the HIS itself: amounts never come from the Internet zone.

REG: 2010 by order_no (the lock's fee items). CHARGE: 3001 (the listed bills and their
digest) and 3002 per bill (the items).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envelope import codes
from envelope.codes import EnvelopeError
from envelope.messages import insurance
from insurance_frontend.hip import HipPort

REG = "REG"
PAYABLE_REGISTRATION = ("LOCKED", "BOOKED")
CLASS_LEVEL = {"A": "01", "B": "02", "C": "03"}


@dataclass(frozen=True)
class SettleRequest:
    """What 4004 and 4005 ask, as the orders table keeps it ("" and () where a kind has none)."""

    order_no: str
    mrn: str
    kind: str
    lock_id: str = ""
    bill_nos: tuple[str, ...] = ()
    bills_digest: str = ""
    acct_used: bool = False

    @classmethod
    def of(cls, request: insurance.Presettle) -> SettleRequest:
        """From the typed request, whose model already refused a kind without its fields."""
        return cls(
            order_no=request.order_no,
            mrn=request.mrn,
            kind=request.kind,
            lock_id=request.lock_id or "",
            bill_nos=tuple(request.bill_nos or ()),
            bills_digest=request.bills_digest or "",
            acct_used=request.acct_used,
        )


@dataclass(frozen=True)
class FeeItem:
    """One fee item as the HIS computed it (fen)."""

    item_code: str
    name: str
    list_code: str
    qty: str
    unit_price_fen: int
    amount_fen: int
    insurance_class: str

    @property
    def chrgitm_lv(self) -> str:
        """01 class A, 02 class B, 03 class C."""
        return CLASS_LEVEL.get(self.insurance_class, "03")


@dataclass(frozen=True)
class Fees:
    """The fee items of an order and their total."""

    items: tuple[FeeItem, ...]
    total_fen: int


def _fen(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EnvelopeError(codes.AMOUNT_MISMATCH, f"HIS gave a bad amount in {name}")
    return value


def _item(raw: dict[str, Any]) -> FeeItem:
    return FeeItem(
        item_code=str(raw.get("item_code") or ""),
        name=str(raw.get("name") or ""),
        list_code=str(raw.get("list_code") or ""),
        qty=str(raw.get("qty", 1)),
        unit_price_fen=_fen(raw.get("unit_price"), "unit_price"),
        amount_fen=_fen(raw.get("amount"), "amount"),
        insurance_class=str(raw.get("insurance_class") or "C"),
    )


def _fees(items: list[FeeItem], expected_total: int) -> Fees:
    total = sum(item.amount_fen for item in items)
    if not items or total != expected_total:
        raise EnvelopeError(codes.AMOUNT_MISMATCH, "HIS fee items do not add up to the total")
    return Fees(tuple(items), total)


def registration_fees(hip: HipPort, request: SettleRequest, trace_id: str) -> Fees:
    """2010: the lock must be this order's, for this patient, and still payable."""
    reg = hip.registration(request.order_no, trace_id)
    if reg.get("status") not in PAYABLE_REGISTRATION:
        raise EnvelopeError(
            codes.ORDER_STATE_CONFLICT, f"registration is {reg.get('status')}, not payable"
        )
    if reg.get("lock_id") != request.lock_id:
        raise EnvelopeError(codes.LOCK_EXPIRED, "lock_id is not the lock of this order")
    if reg.get("mrn") != request.mrn:
        raise EnvelopeError(codes.PATIENT_MISMATCH, "the registration is not this patient's")
    items = [_item(raw) for raw in reg.get("items") or []]
    return _fees(items, _fen((reg.get("fees") or {}).get("total"), "fees.total"))


def charge_fees(hip: HipPort, request: SettleRequest, trace_id: str) -> Fees:
    """3001 + 3002: exactly the bills listed (bills_digest), all of them, with their items."""
    listed = hip.bills(request.mrn, trace_id)
    bills = {str(b.get("bill_no")): b for b in listed.get("bills") or []}
    if listed.get("bills_digest") != request.bills_digest or set(bills) != set(request.bill_nos):
        raise EnvelopeError(codes.BILLS_CHANGED)
    items: list[FeeItem] = []
    for bill_no in request.bill_nos:
        detail = hip.bill_detail(bill_no, request.mrn, trace_id)
        bill_items = [_item(raw) for raw in detail.get("items") or []]
        _fees(bill_items, _fen(bills[bill_no].get("amount"), "bill amount"))
        items.extend(bill_items)
    return _fees(items, sum(item.amount_fen for item in items))


def order_fees(hip: HipPort, request: SettleRequest, trace_id: str) -> Fees:
    """The fee items of the order, by kind."""
    if request.kind == REG:
        return registration_fees(hip, request, trace_id)
    return charge_fees(hip, request, trace_id)


def patient_identity(hip: HipPort, mrn: str, trace_id: str) -> tuple[str, str]:
    """1003: (id_card_no, name) of the patient, where the contract's answer puts them (the
    top level of PatientInfoAnswer); an answer without them names no one."""
    body = hip.patient(mrn, trace_id)
    id_card_no, name = body.get("id_card_no"), body.get("name")
    if not (isinstance(id_card_no, str) and id_card_no and isinstance(name, str) and name):
        raise EnvelopeError(codes.PATIENT_NOT_FOUND, "HIS has no ID card number for this patient")
    return id_card_no, name
