"""Outpatient bills and charges: unpaid bills (3001), bill detail (3002), charge confirm
(3003), charge records (3004) and charge query (3005).

Bills are paid all together: the charge must name exactly the bills listed, with the
bills_digest 3001 gave, else 2004.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.canonical import canonical_bytes
from envelope.codes import EnvelopeError
from envelope.messages import his
from envelope.server import Incoming
from integration_platform.accounts import find_patient
from integration_platform.amounts import check_settlement
from integration_platform.deps import Deps
from integration_platform.fields import date_range, typed
from integration_platform.models import Bill, BillItem, Charge, Department, Doctor, to_db_time
from integration_platform.models import from_db_time as shown
from servicekit.db import transaction


class _Changed(Exception):
    """A bill changed state under us; look again."""


def bills_digest(bills: list[Bill]) -> str:
    """The fingerprint of a set of bills: bill numbers and amounts, in bill_no order."""
    rows = [
        {"bill_no": b.bill_no, "amount": b.amount_fen}
        for b in sorted(bills, key=lambda bill: bill.bill_no)
    ]
    return hashlib.sha256(canonical_bytes(rows)).hexdigest()


def _unpaid(session: Session, mrn: str) -> list[Bill]:
    return list(
        session.scalars(
            select(Bill).where(Bill.mrn == mrn, Bill.status == "UNPAID").order_by(Bill.bill_no)
        ).all()
    )


def _bill_row(session: Session, bill: Bill) -> dict[str, Any]:
    dept, doctor = session.get(Department, bill.dept_code), session.get(Doctor, bill.doctor_code)
    return {
        "bill_no": bill.bill_no,
        "visit_no": bill.visit_no,
        "mrn": bill.mrn,
        "dept_code": bill.dept_code,
        "dept": dept.name if dept else bill.dept_code,
        "doctor_code": bill.doctor_code,
        "doctor": doctor.name if doctor else "",
        "kind": bill.kind,
        "amount": bill.amount_fen,
        "status": bill.status,
        "billed_at": clock.iso(shown(bill.billed_at)),
    }


def unpaid_bills(sessions: sessionmaker[Session], mrn: str) -> dict[str, Any]:
    """3001: the patient's unpaid bills, their total and digest."""
    with sessions() as session:
        find_patient(session, mrn)
        bills = _unpaid(session, mrn)
        return {
            "bills": [_bill_row(session, bill) for bill in bills],
            "total": sum(bill.amount_fen for bill in bills),
            "bills_digest": bills_digest(bills),
        }


def bill_detail(sessions: sessionmaker[Session], bill_no: str, mrn: str) -> dict[str, Any]:
    """3002: one bill of this patient with its fee items."""
    with sessions() as session:
        bill = session.get(Bill, bill_no)
        if bill is None:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, "no bill with this number")
        if bill.mrn != mrn:
            raise EnvelopeError(codes.PATIENT_MISMATCH)
        items = session.scalars(
            select(BillItem).where(BillItem.bill_no == bill_no).order_by(BillItem.seq_no)
        ).all()
        return {
            **_bill_row(session, bill),
            "items": [
                {
                    "item_code": i.item_code,
                    "name": i.name,
                    "spec": i.spec,
                    "qty": i.qty,
                    "unit_price": i.unit_price_fen,
                    "amount": i.amount_fen,
                    "insurance_class": i.insurance_class,
                    "list_code": i.list_code,
                }
                for i in items
            ],
        }


def _charge_view(charge: Charge) -> dict[str, Any]:
    return {
        "status": charge.status,
        "order_no": charge.order_no,
        "mrn": charge.mrn,
        "receipt_no": charge.receipt_no,
        "invoice_no": charge.invoice_no,
        "bill_nos": json.loads(charge.bill_nos),
        "amount": charge.amount_fen,
        "settlement": json.loads(charge.settlement),
        "charged_at": clock.iso(shown(charge.charged_at)),
    }


def _request_digest(mrn: str, bill_nos: list[str], digest: str, settlement: dict[str, Any]) -> str:
    """What makes two charges of one order the same request."""
    request = {"mrn": mrn, "bill_nos": sorted(bill_nos), "bills_digest": digest}
    return hashlib.sha256(canonical_bytes({**request, "settlement": settlement})).hexdigest()


def _mark_paid(session: Session, bill_nos: list[str], receipt_no: str) -> None:
    """Guarded: every bill goes from UNPAID to PAID in this call, or none does."""
    paid = session.execute(
        update(Bill)
        .where(Bill.bill_no.in_(bill_nos), Bill.status == "UNPAID")
        .values(status="PAID", receipt_no=receipt_no)
        .execution_options(synchronize_session=False)
    )
    if paid.rowcount != len(bill_nos):  # type: ignore[attr-defined]
        raise _Changed


def _charge_once(
    session: Session,
    order_no: str,
    mrn: str,
    bill_nos: list[str],
    digest: str,
    settlement: dict[str, Any],
) -> dict[str, Any]:
    request = _request_digest(mrn, bill_nos, digest, settlement)
    earlier = session.scalar(select(Charge).where(Charge.order_no == order_no))
    if earlier is not None:
        if earlier.confirm_digest != request:
            raise EnvelopeError(codes.DUPLICATE_ORDER, "order already charged differently")
        return _charge_view(earlier)
    find_patient(session, mrn)
    bills = _unpaid(session, mrn)
    if sorted(bill_nos) != [b.bill_no for b in bills] or digest != bills_digest(bills):
        raise EnvelopeError(codes.BILLS_CHANGED, "the unpaid bills are not the ones listed")
    total = sum(bill.amount_fen for bill in bills)
    check_settlement(settlement, total)
    now = clock.now()
    receipt_no = f"RC{now:%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"
    _mark_paid(session, bill_nos, receipt_no)
    charge = Charge(
        receipt_no=receipt_no,
        invoice_no=f"INV{receipt_no[2:]}",
        order_no=order_no,
        mrn=mrn,
        bill_nos=json.dumps(sorted(bill_nos)),
        amount_fen=total,
        settlement=json.dumps(settlement, ensure_ascii=False, sort_keys=True),
        confirm_digest=request,
        status="PAID",
        charged_at=to_db_time(now),
    )
    session.add(charge)
    session.flush()
    return _charge_view(charge)


def confirm_charge(
    sessions: sessionmaker[Session],
    *,
    order_no: str,
    mrn: str,
    bill_nos: list[str],
    digest: str,
    settlement: dict[str, Any],
) -> dict[str, Any]:
    """3003: mark the listed bills paid together; the same charge again gets the same answer."""
    if not bill_nos or not all(isinstance(no, str) for no in bill_nos):
        raise EnvelopeError(codes.BODY_INVALID, "bill_nos must be a non-empty list of strings")
    for _ in range(3):
        try:
            with transaction(sessions) as session:
                return _charge_once(session, order_no, mrn, bill_nos, digest, settlement)
        except (_Changed, IntegrityError):
            continue  # a concurrent charge won; the next look answers or refuses it
    raise EnvelopeError(codes.BILLS_CHANGED, "the bills changed while being charged")


def charge_records(
    sessions: sessionmaker[Session], mrn: str, start: date, end: date
) -> dict[str, Any]:
    """3004: the patient's receipts charged within the date range."""
    low = to_db_time(datetime.combine(start, time.min, clock.SHANGHAI))
    high = to_db_time(datetime.combine(end + timedelta(days=1), time.min, clock.SHANGHAI))
    with sessions() as session:
        find_patient(session, mrn)
        charges = session.scalars(
            select(Charge)
            .where(Charge.mrn == mrn, Charge.charged_at >= low, Charge.charged_at < high)
            .order_by(Charge.charged_at)
        ).all()
        return {"receipts": [_charge_view(charge) for charge in charges]}


def query_charge(sessions: sessionmaker[Session], order_no: str) -> dict[str, Any]:
    """3005: the charge of an order, or status NONE."""
    with sessions() as session:
        charge = session.scalar(select(Charge).where(Charge.order_no == order_no))
        return _charge_view(charge) if charge else {"status": "NONE", "order_no": order_no}


def handle_unpaid(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """3001 unpaid bill list."""
    return unpaid_bills(deps.sessions, typed(incoming, his.UnpaidBills).mrn.strip())


def handle_bill(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """3002 bill detail."""
    request = typed(incoming, his.BillDetail)
    return bill_detail(deps.sessions, request.bill_no.strip(), request.mrn.strip())


def handle_charge(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """3003 charge confirm."""
    request = typed(incoming, his.ConfirmCharge)
    return confirm_charge(
        deps.sessions,
        order_no=request.order_no.strip(),
        mrn=request.mrn.strip(),
        bill_nos=list(request.bill_nos),
        digest=request.bills_digest.strip(),
        settlement=request.settlement,
    )


def handle_receipts(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """3004 charge records."""
    request = typed(incoming, his.ChargeRecords)
    start, end = date_range(request.start_date, request.end_date)
    return charge_records(deps.sessions, request.mrn.strip(), start, end)


def handle_charge_query(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """3005 charge query."""
    return query_charge(deps.sessions, typed(incoming, his.QueryCharge).order_no.strip())
