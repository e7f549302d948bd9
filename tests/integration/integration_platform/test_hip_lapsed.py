"""Lapsed same-day locks without a sweep: listings count their slots as remaining without
writing, and the request that needs the slot, the patient or the order releases them."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from envelope import clock
from integration_platform.models import Registration, Slot
from tests.integration.integration_platform.conftest import sessions_of
from tests.integration.integration_platform.test_hip_registration import (
    LI_NA,
    TOTAL_DR001,
    WANG_QIANG,
    ZHANG_WEI,
    _expire,
    confirm,
    lock,
    schedule_id,
    self_pay,
)

Call = Callable[..., tuple[str, dict[str, Any]]]


def _stored(app: Flask, order_no: str) -> tuple[str, str]:
    """The registration's and its slot's stored status."""
    with sessions_of(app)() as session:
        reg = session.scalars(select(Registration).where(Registration.order_no == order_no)).one()
        slot = session.get_one(Slot, reg.slot_id)
        return reg.status, slot.status


def _today(doctor: str = "DR001") -> dict[str, str]:
    day = clock.today().isoformat()
    return {"start_date": day, "end_date": day, "doctor_code": doctor}


def _remaining_of(call: Call, sid: str) -> int:
    rows = call("2004", _today("DR002"))[1]["schedules"]
    return int(next(row["remaining"] for row in rows if row["schedule_id"] == sid))


def _remaining(call: Call, code: str) -> int:
    rows = call(code, _today())[1]["schedules"]
    return int(next(row["remaining"] for row in rows if row["schedule_id"] == schedule_id()))


def test_a_lapsed_lock_counts_as_remaining_and_the_listing_writes_nothing(
    app: Flask, call: Call
) -> None:
    lock_id = lock(call, "LP-1")[1]["lock_id"]
    assert _remaining(call, "2003") == 9 and _remaining(call, "2004") == 9
    _expire(app, lock_id)
    assert _remaining(call, "2003") == 10 and _remaining(call, "2004") == 10
    assert _stored(app, "LP-1") == ("LOCKED", "LOCKED")


def test_the_slot_detail_releases_the_lapsed_locks_of_its_schedule(app: Flask, call: Call) -> None:
    _expire(app, lock(call, "LP-2")[1]["lock_id"])
    body = call("2005", {"schedule_id": schedule_id()})[1]
    assert body["remaining"] == 10 and body["slots"][0]["status"] == "FREE"
    assert _stored(app, "LP-2") == ("RELEASED", "FREE")


def test_querying_a_lapsed_order_releases_it(app: Flask, call: Call) -> None:
    _expire(app, lock(call, "LP-3")[1]["lock_id"])
    code, body = call("2010", {"order_no": "LP-3"})
    assert (code, body["status"]) == ("0000", "RELEASED")
    assert _stored(app, "LP-3") == ("RELEASED", "FREE")


def test_a_patient_whose_lock_lapsed_may_lock_the_same_clinic_again(app: Flask, call: Call) -> None:
    _expire(app, lock(call, "LP-4")[1]["lock_id"])
    code, body = lock(call, "LP-5")
    assert (code, body["status"], body["seq_no"]) == ("0000", "LOCKED", 1)
    assert _stored(app, "LP-4") == ("RELEASED", "LOCKED")


def test_another_patients_lapsed_lock_gives_its_slot_to_the_next_lock(
    app: Flask, call: Call
) -> None:
    _expire(app, lock(call, "LP-6", mrn=ZHANG_WEI)[1]["lock_id"])
    assert lock(call, "LP-7", mrn=LI_NA)[1]["seq_no"] == 1
    assert _stored(app, "LP-6")[0] == "RELEASED"


def test_a_lapsed_lock_whose_slot_went_to_another_cannot_be_confirmed(
    app: Flask, call: Call
) -> None:
    lock_id = lock(call, "LP-8", mrn=ZHANG_WEI)[1]["lock_id"]
    _expire(app, lock_id)
    lock(call, "LP-9", mrn=LI_NA)
    assert confirm(call, "LP-8", lock_id, self_pay(TOTAL_DR001))[0] == "2003"
    assert _stored(app, "LP-9") == ("LOCKED", "LOCKED")


def test_a_repeated_lock_of_a_lapsed_order_answers_it_and_takes_no_second_slot(
    app: Flask, call: Call
) -> None:
    first = lock(call, "LP-10")[1]
    _expire(app, first["lock_id"])
    code, again = lock(call, "LP-10")
    assert code == "0000" and again["lock_id"] == first["lock_id"]
    assert again["status"] == "RELEASED" and _stored(app, "LP-10") == ("RELEASED", "FREE")
    assert _remaining(call, "2004") == 10


def test_on_postgresql_reads_in_autocommit_see_and_release_a_lapsed_lock(
    pg_app: Flask, call_factory: Callable[[Flask], Call]
) -> None:
    call = call_factory(pg_app)
    order_no = f"LP-PG-{secrets.token_hex(4)}"
    sid = schedule_id(0, "DR002")
    before = _remaining_of(call, sid)
    code, body = lock(call, order_no, mrn=WANG_QIANG, sid=sid)
    assert code == "0000" and _remaining_of(call, sid) == before - 1
    assert call("1003", {"mrn": WANG_QIANG})[1]["mrn"] == WANG_QIANG
    _expire(pg_app, body["lock_id"])
    assert _remaining_of(call, sid) == before
    assert call("2010", {"order_no": order_no})[1]["status"] == "RELEASED"
    assert _stored(pg_app, order_no) == ("RELEASED", "FREE")
    assert _remaining_of(call, sid) == before
