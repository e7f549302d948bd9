"""Outpatient bills: listed (3001) and itemised (3002) live, and paid all together by a
CHARGE order that goes through the same saga as a registration (DESIGN §4)."""

from __future__ import annotations

import json
from typing import Any

from cloud_service import saga
from cloud_service.accounts import binding_of
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.hospital import answer_of, ask, require_ok_as
from cloud_service.models import Order
from cloud_service.saga.patient import check_payer, new_order_no
from envelope import codes
from envelope.messages.his import BillDetail, UnpaidBills
from envelope.messages.his_answers import BillDetailAnswer, UnpaidBillsAnswer
from servicekit.db import transaction


def unpaid_bills(deps: Deps, user_id: str, mrn: str, trace_id: str) -> dict[str, Any]:
    """The bound record's unpaid bills, their total and the bills_digest to pay them with."""
    binding_of(deps, user_id, mrn)
    answer = answer_of(deps.hospital, UnpaidBills(mrn=mrn), UnpaidBillsAnswer, trace_id)
    return {
        "mrn": mrn,
        "bills": [bill.model_dump() for bill in answer.bills],
        "total_fen": answer.total,
        "bills_digest": answer.bills_digest,
    }


def bill_detail(deps: Deps, user_id: str, mrn: str, bill_no: str, trace_id: str) -> dict[str, Any]:
    """One bill of the bound record with its items (insurance class A/B/C, list code)."""
    binding_of(deps, user_id, mrn)
    request = BillDetail(bill_no=bill_no, mrn=mrn)
    return answer_of(deps.hospital, request, BillDetailAnswer, trace_id).model_dump()


def create_charge(
    deps: Deps,
    user_id: str,
    *,
    mrn: str,
    bill_nos: list[str],
    bills_digest: str,
    pay_mode: str,
    channel: str,
    trace_id: str,
    entry: str = "APP",
) -> Order:
    """Open a CHARGE order for exactly the bills listed (2004 when they changed since)."""
    check_payer(deps, user_id, mrn, pay_mode, channel, entry)
    reply = ask(deps.hospital, UnpaidBills(mrn=mrn), trace_id=trace_id, channel=entry)
    listed = require_ok_as(reply, UnpaidBillsAnswer)
    bills = listed.bills
    if not bills:
        raise CloudError(codes.RECORD_NOT_FOUND, "没有待缴费的账单")
    if sorted(bill_nos) != sorted(bill.bill_no for bill in bills) or (
        bills_digest != listed.bills_digest
    ):
        raise CloudError(
            codes.BILLS_CHANGED,
            "门诊账单须全部一并缴纳：待缴账单已变化，请重新查询后再缴费",
        )
    order = Order(
        order_no=new_order_no("CHARGE"),
        user_id=user_id,
        mrn=mrn,
        kind="CHARGE",
        state=saga.CREATED,
        pay_mode=pay_mode,
        channel=channel,
        entry=entry,
        bill_nos=json.dumps(sorted(bill_nos)),
        bills_digest=bills_digest,
        total_fen=sum(bill.amount for bill in bills),
        trace_id=trace_id,
    )
    with transaction(deps.sessions) as session:
        saga.record_created(session, order, f"charge order for {len(bills)} bills created")
    return order
