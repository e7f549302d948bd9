"""The cashier's window: a bill paid in person, with its own receipt.

The window and the app (3003) race for the same bills through one guarded UPDATE
(``... WHERE status = 'UNPAID'``), so whichever commits first pays and the other is refused:
a bill is never paid twice.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from integration_platform.models import Bill, Charge, to_db_time
from servicekit.db import transaction


def _already_paid(bill_no: str) -> EnvelopeError:
    return EnvelopeError(codes.ORDER_STATE_CONFLICT, f"bill {bill_no} is already paid")


def pay_at_window(
    sessions: sessionmaker[Session],
    bill_no: str,
    operator: str = "WINDOW",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Take payment for one unpaid bill at the window; refuse (2014) a bill already paid."""
    moment = now or clock.now()
    receipt_no = f"RW{moment:%Y%m%d%H%M%S}{secrets.token_hex(3).upper()}"
    with transaction(sessions) as session:
        bill = session.get(Bill, bill_no)
        if bill is None:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, f"no bill {bill_no}")
        if bill.status != "UNPAID":
            raise _already_paid(bill_no)
        won = session.execute(
            update(Bill)
            .where(Bill.bill_no == bill_no, Bill.status == "UNPAID")
            .values(status="PAID", receipt_no=receipt_no)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            raise _already_paid(bill_no)
        settlement = {
            "pay_mode": "SELF_PAY",
            "channel": "WINDOW",
            "channel_trade_no": "",
            "cash": bill.amount_fen,
            "operator": operator,
        }
        session.add(
            Charge(
                receipt_no=receipt_no,
                invoice_no=f"INV{receipt_no[2:]}",
                order_no=f"W{receipt_no[2:]}",
                mrn=bill.mrn,
                bill_nos=json.dumps([bill_no]),
                amount_fen=bill.amount_fen,
                settlement=json.dumps(settlement, ensure_ascii=False, sort_keys=True),
                confirm_digest="window",
                status="PAID",
                charged_at=to_db_time(moment),
            )
        )
    return {"bill_no": bill_no, "receipt_no": receipt_no, "amount": bill.amount_fen}
