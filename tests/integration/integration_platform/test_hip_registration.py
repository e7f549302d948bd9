"""Slot locks, bookings and registrations over envelopes: 2006 to 2010."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from envelope import clock
from integration_platform.accounts import create_patient
from integration_platform.locking import release_lapsed
from integration_platform.models import Registration, Slot, to_db_time
from integration_platform.seed import seed
from servicekit import idcard

Call = Callable[..., tuple[str, dict[str, Any]]]

ZHANG_WEI, LI_NA, WANG_QIANG = "M00000001", "M00000002", "M00000003"
TOTAL_DR001 = 3100  # CHIEF: reg_fee 100 + diag_fee 3000


def schedule_id(days_from_today: int = 0, doctor: str = "DR001", period: str = "AM") -> str:
    """The seeded schedule of a doctor on a day."""
    day = clock.today() + timedelta(days=days_from_today)
    return f"SC{day:%Y%m%d}{doctor}{period}"


def self_pay(total: int) -> dict[str, Any]:
    """A self-pay settlement of total fen by WeChat Pay."""
    return {
        "pay_mode": "SELF_PAY",
        "channel": "WECHAT",
        "channel_trade_no": "WX0001",
        "cash": total,
    }


def insurance(total: int, hifp: int = 2000, acct: int = 500) -> dict[str, Any]:
    """An insurance settlement whose split adds up to total."""
    cash = total - hifp - acct
    return {
        "pay_mode": "INSURANCE",
        "channel": "ALIPAY",
        "channel_trade_no": "ALI0001",
        "cash": cash,
        "setl_id": "SETL0001",
        "split": {
            "medfee_sumamt": total,
            "fulamt_ownpay_amt": 100,
            "preselfpay_amt": 0,
            "inscp_scp_amt": total - 100,
            "hifp_pay": hifp,
            "acct_pay": acct,
            "psn_cash_pay": cash,
        },
    }


def new_patients(app: Flask, count: int) -> list[str]:
    """Create patients for a test; their record numbers."""
    sessions = app.extensions["integration_platform"].sessions
    return [
        create_patient(
            sessions,
            id_card_no=idcard.complete(f"11010119900202{n:03d}"),
            name=f"病人{n}",
            phone="13900000000",
            gender="M",
            birth_date=datetime(1990, 2, 2).date(),
        )["mrn"]
        for n in range(count)
    ]


def lock(
    call: Call, order_no: str, mrn: str = ZHANG_WEI, sid: str | None = None, **extra: Any
) -> tuple[str, dict[str, Any]]:
    """Send 2006."""
    return call(
        "2006", {"schedule_id": sid or schedule_id(), "mrn": mrn, "order_no": order_no, **extra}
    )


def test_today_slot_is_locked_for_payment_with_an_expiry(call: Call) -> None:
    code, body = lock(call, "ORD-1")
    assert code == "0000"
    assert body["status"] == "LOCKED" and body["seq_no"] == 1
    assert body["fees"] == {"reg_fee": 100, "diag_fee": 3000, "total": TOTAL_DR001}
    expires = clock.parse_iso(body["expires_at"])
    assert timedelta(minutes=14) < expires - clock.now() <= timedelta(minutes=15)
    slots = call("2005", {"schedule_id": schedule_id()})[1]["slots"]
    assert slots[0]["status"] == "LOCKED" and slots[1]["status"] == "FREE"


def test_future_slot_is_booked_without_expiry(call: Call) -> None:
    code, body = lock(call, "ORD-2", sid=schedule_id(3))
    assert (code, body["status"], body["expires_at"]) == ("0000", "BOOKED", None)


def test_past_clinic_day_is_refused_with_2005(app: Flask, call: Call) -> None:
    seed(app.extensions["integration_platform"].sessions, clock.today() - timedelta(days=1))
    assert lock(call, "ORD-3", sid=schedule_id(-1))[0] == "2005"


def test_same_order_no_returns_the_same_lock(call: Call) -> None:
    first = lock(call, "ORD-4")
    again = lock(call, "ORD-4")
    assert first == again and first[0] == "0000"


def test_same_order_no_for_another_schedule_is_refused_with_2007(call: Call) -> None:
    lock(call, "ORD-5")
    assert lock(call, "ORD-5", sid=schedule_id(0, "DR002"))[0] == "2007"


def test_second_slot_of_one_schedule_is_refused_with_2009(call: Call) -> None:
    assert lock(call, "ORD-6")[0] == "0000"
    assert lock(call, "ORD-7")[0] == "2009"


def test_a_second_registration_in_one_department_on_one_day_is_refused_with_2020(
    call: Call,
) -> None:
    """Registering fairly: DR001 and DR002 both see patients of D0101."""
    assert lock(call, "FAIR-1")[0] == "0000"
    assert lock(call, "FAIR-2", sid=schedule_id(0, "DR002"))[0] == "2020"
    assert lock(call, "FAIR-3", sid=schedule_id(0, "DR001", "PM"))[0] == "2020"
    assert lock(call, "FAIR-4", sid=schedule_id(0, "DR004"))[0] == "0000"  # D0102
    assert lock(call, "FAIR-5", sid=schedule_id(1, "DR002"))[0] == "0000"  # another day


def test_a_released_registration_frees_the_department_for_that_day(call: Call) -> None:
    lock_id = lock(call, "FAIR-6")[1]["lock_id"]
    assert call("2007", {"lock_id": lock_id, "mrn": ZHANG_WEI})[1]["status"] == "RELEASED"
    assert lock(call, "FAIR-7", sid=schedule_id(0, "DR002"))[0] == "0000"


def test_unknown_patient_or_schedule_is_refused(call: Call) -> None:
    assert lock(call, "ORD-8", mrn="M99999999")[0] == "2001"
    assert lock(call, "ORD-9", sid="SC19990101DR001AM")[0] == "2008"
    assert lock(call, "ORD-10", slot_id="NO-SUCH-SLOT")[0] == "2008"


def test_full_schedule_is_refused_with_2002(app: Flask, call: Call) -> None:
    for n, mrn in enumerate(new_patients(app, 10)):
        assert lock(call, f"FULL-{n}", mrn=mrn)[0] == "0000"
    code, body = lock(call, "FULL-X", mrn=LI_NA)
    assert code == "2002" and body == {}
    assert (
        call(
            "2003",
            {
                "start_date": clock.today().isoformat(),
                "end_date": clock.today().isoformat(),
                "doctor_code": "DR001",
            },
        )[1]["schedules"][0]["remaining"]
        == 0
    )


def test_chosen_slot_that_is_taken_is_refused_with_2002(call: Call) -> None:
    slot = f"{schedule_id()}-05"
    assert lock(call, "PICK-1", slot_id=slot)[1]["slot_id"] == slot
    assert lock(call, "PICK-2", mrn=LI_NA, slot_id=slot)[0] == "2002"


def release_expired(app: Flask) -> int:
    """Release every lapsed lock of the app's database, as one transaction; the count."""
    with app.extensions["integration_platform"].engine.begin() as connection:
        return int(release_lapsed(connection, clock.now()))


def _expire(app: Flask, lock_id: str) -> None:
    with app.extensions["integration_platform"].sessions.begin() as session:
        session.execute(
            update(Registration)
            .where(Registration.lock_id == lock_id)
            .values(expires_at=to_db_time(clock.now() - timedelta(minutes=1)))
        )


def test_expired_lock_is_released_exactly_once(app: Flask, call: Call) -> None:
    lock_id = lock(call, "EXP-1")[1]["lock_id"]
    _expire(app, lock_id)
    assert release_expired(app) == 1
    assert release_expired(app) == 0
    assert call("2010", {"order_no": "EXP-1"})[1]["status"] == "RELEASED"
    assert call("2005", {"schedule_id": schedule_id()})[1]["slots"][0]["status"] == "FREE"
    code, body = lock(call, "EXP-2")
    assert code == "0000" and body["seq_no"] == 1


def test_unlock_releases_the_slot_and_repeats_harmlessly(call: Call) -> None:
    lock_id = lock(call, "UN-1")[1]["lock_id"]
    assert call("2007", {"lock_id": lock_id, "mrn": LI_NA})[0] == "2011"
    assert call("2007", {"lock_id": lock_id, "mrn": ZHANG_WEI})[1]["status"] == "RELEASED"
    assert call("2007", {"lock_id": lock_id, "mrn": ZHANG_WEI})[1]["status"] == "RELEASED"
    assert call("2005", {"schedule_id": schedule_id()})[1]["slots"][0]["status"] == "FREE"
    booking = lock(call, "UN-2", sid=schedule_id(2))[1]["lock_id"]
    assert call("2007", {"lock_id": booking, "mrn": ZHANG_WEI})[1]["status"] == "CANCELLED"
    assert call("2007", {"lock_id": "LK-NONE", "mrn": ZHANG_WEI})[0] == "2008"


def confirm(
    call: Call, order_no: str, lock_id: str, settlement: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Send 2008."""
    return call("2008", {"order_no": order_no, "lock_id": lock_id, "settlement": settlement})


def test_self_pay_confirm_registers_and_repeats_identically(call: Call) -> None:
    lock_id = lock(call, "CF-1", mrn=WANG_QIANG)[1]["lock_id"]
    code, body = confirm(call, "CF-1", lock_id, self_pay(TOTAL_DR001))
    assert code == "0000"
    assert body["status"] == "CONFIRMED" and body["queue_no"] == 1
    assert body["reg_no"] and body["visit_no"] and body["location"] == "门诊楼2层A区"
    assert confirm(call, "CF-1", lock_id, self_pay(TOTAL_DR001)) == (code, body)
    slots = call("2005", {"schedule_id": schedule_id()})[1]["slots"]
    assert slots[0]["status"] == "CONFIRMED"


def test_confirm_with_different_content_is_refused_with_2007(call: Call) -> None:
    lock_id = lock(call, "CF-2")[1]["lock_id"]
    assert confirm(call, "CF-2", lock_id, insurance(TOTAL_DR001))[0] == "0000"
    assert confirm(call, "CF-2", lock_id, insurance(TOTAL_DR001, hifp=1000))[0] == "2007"
    assert confirm(call, "CF-2", "LK-OTHER", insurance(TOTAL_DR001))[0] == "2007"


def test_insurance_confirm_stores_the_settlement(call: Call) -> None:
    lock_id = lock(call, "CF-3")[1]["lock_id"]
    assert confirm(call, "CF-3", lock_id, insurance(TOTAL_DR001))[0] == "0000"
    code, body = call("2010", {"order_no": "CF-3"})
    assert code == "0000" and body["status"] == "CONFIRMED"
    assert body["settlement"] == insurance(TOTAL_DR001) and body["reg_no"]


def _broken(name: str) -> dict[str, Any]:
    settlement = insurance(TOTAL_DR001)
    if name == "medfee":
        settlement["split"]["medfee_sumamt"] = TOTAL_DR001 - 1
    elif name == "sum":
        settlement["split"]["hifp_pay"] += 1
    elif name == "cash":
        settlement["cash"] += 1
    elif name == "setl_id":
        del settlement["setl_id"]
    elif name == "self_pay":
        settlement = self_pay(TOTAL_DR001 - 100)
    return settlement


@pytest.mark.parametrize("name", ["medfee", "sum", "cash", "setl_id", "self_pay"])
def test_amount_mismatch_is_refused_with_2006(call: Call, name: str) -> None:
    lock_id = lock(call, f"MM-{name}")[1]["lock_id"]
    assert confirm(call, f"MM-{name}", lock_id, _broken(name))[0] == "2006"
    assert call("2010", {"order_no": f"MM-{name}"})[1]["status"] == "LOCKED"


def test_confirm_of_unknown_order_is_refused_with_2008(call: Call) -> None:
    assert confirm(call, "CF-NONE", "LK-NONE", self_pay(1))[0] == "2008"


def test_booked_future_slot_cannot_be_paid_before_its_day(call: Call) -> None:
    lock_id = lock(call, "CF-4", sid=schedule_id(1))[1]["lock_id"]
    assert confirm(call, "CF-4", lock_id, self_pay(TOTAL_DR001))[0] == "2005"


def test_expired_lock_still_held_is_confirmed(app: Flask, call: Call) -> None:
    lock_id = lock(call, "CF-5")[1]["lock_id"]
    _expire(app, lock_id)
    assert confirm(call, "CF-5", lock_id, self_pay(TOTAL_DR001))[0] == "0000"


def test_released_lock_is_confirmed_when_its_slot_is_free(app: Flask, call: Call) -> None:
    lock_id = lock(call, "CF-6")[1]["lock_id"]
    _expire(app, lock_id)
    release_expired(app)
    code, body = confirm(call, "CF-6", lock_id, self_pay(TOTAL_DR001))
    assert code == "0000" and body["status"] == "CONFIRMED"


def test_released_lock_whose_slot_was_taken_is_refused_with_2003(app: Flask, call: Call) -> None:
    lock_id = lock(call, "CF-7")[1]["lock_id"]
    _expire(app, lock_id)
    assert lock(call, "CF-8", mrn=LI_NA)[1]["seq_no"] == 1
    assert confirm(call, "CF-7", lock_id, self_pay(TOTAL_DR001))[0] == "2003"
    with app.extensions["integration_platform"].sessions() as session:
        assert (
            session.scalar(select(Slot.status).where(Slot.slot_id == f"{schedule_id()}-01"))
            == "LOCKED"
        )


def test_query_of_unknown_order_answers_none(call: Call) -> None:
    assert call("2010", {"order_no": "Q-NONE"}) == (
        "0000",
        {"status": "NONE", "order_no": "Q-NONE"},
    )


def test_query_gives_the_fee_items_for_insurance_upload(call: Call) -> None:
    lock(call, "Q-1")
    code, body = call("2010", {"order_no": "Q-1"})
    assert code == "0000" and body["status"] == "LOCKED"
    assert body["fees"] == {"reg_fee": 100, "diag_fee": 3000, "total": TOTAL_DR001}
    items = body["items"]
    assert sum(item["amount"] for item in items) == TOTAL_DR001
    assert [item["insurance_class"] for item in items] == ["C", "A"]
    assert all(item["list_code"] and item["qty"] == 1 for item in items)
    assert body["visit_date"] == clock.today().isoformat() and body["mrn"] == ZHANG_WEI


def test_records_list_a_patients_registrations(call: Call) -> None:
    lock(call, "R-1")
    lock(call, "R-2", sid=schedule_id(2, "DR004", "PM"))
    today = clock.today()
    code, body = call(
        "2009",
        {
            "mrn": ZHANG_WEI,
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=6)).isoformat(),
        },
    )
    assert code == "0000"
    assert [r["order_no"] for r in body["registrations"]] == ["R-1", "R-2"]
    assert (
        call(
            "2009",
            {"mrn": "M99999999", "start_date": today.isoformat(), "end_date": today.isoformat()},
        )[0]
        == "2001"
    )
