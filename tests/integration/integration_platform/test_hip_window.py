"""A bill paid at the window: once only, and never again by the app (3003), even when the
window and the app pay at the same moment, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from envelope.codes import EnvelopeError
from integration_platform.__main__ import main
from integration_platform.accounts import create_patient
from integration_platform.models import Bill, BillItem, Charge
from integration_platform.window import pay_at_window
from servicekit import idcard
from tests.integration.integration_platform.conftest import sessions_of

Call = Callable[..., tuple[str, dict[str, Any]]]
ROUNDS = 12
# ID numbers unique within a session (the PostgreSQL database lives as long as the session).
_SEQ = itertools.count(100 + secrets.randbelow(400))


def _patient_with_bill(app: Flask, fen: int = 4321) -> tuple[str, str]:
    """A new patient with one unpaid bill of ``fen``; (mrn, bill_no)."""
    sessions = sessions_of(app)
    mrn = create_patient(
        sessions,
        id_card_no=idcard.complete(f"11010119880808{next(_SEQ):03d}"),
        name="窗口病人",
        phone="13900000000",
        gender="M",
        birth_date=date(1988, 8, 8),
    )["mrn"]
    bill_no = f"BW{secrets.token_hex(6).upper()}"
    with sessions.begin() as session:
        session.add(
            Bill(
                bill_no=bill_no,
                visit_no="VW1",
                mrn=mrn,
                dept_code="D0101",
                doctor_code="DR001",
                kind="PRESCRIPTION",
                amount_fen=fen,
            )
        )
        session.flush()
        session.add(
            BillItem(
                bill_no=bill_no,
                seq_no=1,
                item_code="YP0101",
                name="二甲双胍缓释片",
                spec="盒",
                qty=1,
                unit_price_fen=fen,
                amount_fen=fen,
                insurance_class="A",
                list_code="XA10BAE054A010010101234",
            )
        )
    return mrn, bill_no


def _charge(call: Call, order_no: str, mrn: str, listed: dict[str, Any]) -> tuple[str, Any]:
    return call(
        "3003",
        {
            "order_no": order_no,
            "mrn": mrn,
            "bill_nos": [b["bill_no"] for b in listed["bills"]],
            "bills_digest": listed["bills_digest"],
            "settlement": {"pay_mode": "SELF_PAY", "channel": "WECHAT", "cash": listed["total"]},
        },
    )


def _charges_of(app: Flask, bill_no: str) -> list[Charge]:
    with sessions_of(app)() as session:
        rows = session.scalars(select(Charge)).all()
    return [row for row in rows if bill_no in row.bill_nos]


def test_window_pays_a_bill_once_and_the_app_then_sees_bills_changed(
    app: Flask, call: Call
) -> None:
    mrn, bill_no = _patient_with_bill(app)
    listed = call("3001", {"mrn": mrn})[1]
    paid = pay_at_window(sessions_of(app), bill_no)
    assert paid["amount"] == 4321 and paid["receipt_no"].startswith("RW")
    with pytest.raises(EnvelopeError) as again:
        pay_at_window(sessions_of(app), bill_no)
    assert again.value.result_code == "2014"
    assert _charge(call, "APP-AFTER-WINDOW", mrn, listed)[0] == "2004"
    assert call("3001", {"mrn": mrn})[1]["bills"] == []
    assert len(_charges_of(app, bill_no)) == 1
    with pytest.raises(EnvelopeError) as unknown:
        pay_at_window(sessions_of(app), "B-NONE")
    assert unknown.value.result_code == "2008"


def test_staff_command_pays_at_the_window(sqlite_url: str, app: Flask, capsys: Any) -> None:
    _mrn, bill_no = _patient_with_bill(app)
    assert main(["window-pay", bill_no, "--database-url", sqlite_url]) == 0
    assert "receipt RW" in capsys.readouterr().out
    assert main(["window-pay", bill_no, "--database-url", sqlite_url]) == 1
    assert "2014" in capsys.readouterr().err
    assert main(["window-pay", "--database-url", sqlite_url]) == 2


def _one_round(app: Flask, caller: Call, order_no: str) -> list[str]:
    """The window and the app pay one new bill at the same moment; the sorted outcomes."""
    mrn, bill_no = _patient_with_bill(app)
    listed = caller("3001", {"mrn": mrn})[1]
    start = threading.Barrier(2)

    def window() -> str:
        start.wait(timeout=30)
        try:
            pay_at_window(sessions_of(app), bill_no)
            return "window"
        except EnvelopeError as exc:
            return exc.result_code

    def app_pays() -> str:
        start.wait(timeout=30)
        code = _charge(caller, order_no, mrn, listed)[0]
        return "app" if code == "0000" else code

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcome = sorted(f.result() for f in [pool.submit(window), pool.submit(app_pays)])
    charges = _charges_of(app, bill_no)
    assert len(charges) == 1, "a bill was paid twice"
    with sessions_of(app)() as session:
        bill = session.get_one(Bill, bill_no)
    assert bill.status == "PAID" and bill.receipt_no == charges[0].receipt_no
    return outcome


def _race_window_and_app(app: Flask, make_call: Callable[[Flask], Call]) -> None:
    """Round after round, exactly one of the window and the app is paid; the other refused."""
    for round_no in range(ROUNDS):
        outcome = _one_round(app, make_call(app), f"RACE-{secrets.token_hex(4)}-{round_no}")
        assert outcome in (["2004", "window"], ["2014", "app"]), outcome


def test_window_and_app_paying_at_once_charge_once_on_sqlite(
    app: Flask, call_factory: Callable[[Flask], Call]
) -> None:
    _race_window_and_app(app, call_factory)


@pytest.mark.postgres
def test_window_and_app_paying_at_once_charge_once_on_postgresql(
    pg_app: Flask, call_factory: Callable[[Flask], Call]
) -> None:
    _race_window_and_app(pg_app, call_factory)
