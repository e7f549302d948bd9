"""The hospital's rules at the edges: ID card region and birth date, concurrent creates of
one record, and the cancel cut-off of a booking (2007 -> 2016)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from envelope import clock
from envelope.codes import EnvelopeError
from integration_platform.locking import cancel_cutoff, unlock
from integration_platform.models import Patient, Registration, Schedule, Slot
from servicekit import idcard
from tests.integration.integration_platform.conftest import sessions_of
from tests.integration.integration_platform.test_hip_registration import (
    ZHANG_WEI,
    lock,
    schedule_id,
)

Call = Callable[..., tuple[str, dict[str, Any]]]


def _person(first17: str, birth: str) -> dict[str, str]:
    return {
        "id_card_no": idcard.complete(first17),
        "name": "边界人",
        "phone": "13900000000",
        "gender": "M",
        "birth_date": birth,
    }


def test_unknown_region_code_is_refused_with_2010(call: Call) -> None:
    code, body = call("1002", _person("99010119950505123", "1995-05-05"))
    assert code == "2010" and body == {}
    assert call("1001", {"id_card_no": idcard.complete("99010119950505123"), "name": "x"})[0] == (
        "2010"
    )


def test_birth_date_in_the_future_is_refused_with_2010(call: Call) -> None:
    future = clock.today() + timedelta(days=400)
    first17 = f"110101{future:%Y%m%d}123"
    assert call("1002", _person(first17, future.isoformat()))[0] == "2010"


def test_two_concurrent_creates_give_one_record(app: Flask, call_factory: Any) -> None:
    person = _person("11010119950606123", "1995-06-06")
    start = threading.Barrier(8)

    def create(_: int) -> tuple[str, dict[str, Any]]:
        caller = call_factory(app)
        start.wait(timeout=30)
        return caller("1002", person)  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(create, range(8)))
    assert {code for code, _ in answers} == {"0000"}
    assert len({body["mrn"] for _, body in answers}) == 1
    assert sum(body["created"] for _, body in answers) == 1
    with sessions_of(app)() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Patient)
            .where(Patient.id_card_no == person["id_card_no"])
        )
    assert count == 1


def _move_to_today(app: Flask, sid: str, first_slot_start: str) -> None:
    """Make a booked future clinic today's, its first slot starting at ``first_slot_start``."""
    with sessions_of(app).begin() as session:
        session.execute(
            update(Schedule).where(Schedule.schedule_id == sid).values(visit_date=clock.today())
        )
        session.execute(
            update(Slot)
            .where(Slot.schedule_id == sid, Slot.seq_no == 1)
            .values(start_time=first_slot_start)
        )


def test_booking_cancelled_after_its_clinic_started_is_refused_with_2016(
    app: Flask, call: Call
) -> None:
    sid = schedule_id(5, "DR004")
    booked = lock(call, "CUT-1", sid=sid)[1]
    assert booked["status"] == "BOOKED"
    _move_to_today(app, sid, "00:00")  # the clinic opened at midnight: the cut-off has passed
    code, body = call("2007", {"lock_id": booked["lock_id"], "mrn": ZHANG_WEI})
    assert code == "2016" and body == {}
    assert call("2010", {"order_no": "CUT-1"})[1]["status"] == "BOOKED"
    assert call("2005", {"schedule_id": sid})[1]["slots"][0]["status"] == "BOOKED"


def test_booking_before_the_cut_off_is_cancelled_and_its_slot_freed(call: Call) -> None:
    sid = schedule_id(5, "DR004")
    booked = lock(call, "CUT-2", sid=sid)[1]
    code, body = call("2007", {"lock_id": booked["lock_id"], "mrn": ZHANG_WEI})
    assert (code, body["status"]) == ("0000", "CANCELLED")
    assert call("2005", {"schedule_id": sid})[1]["slots"][0]["status"] == "FREE"


def test_an_unpaid_lock_of_a_started_clinic_may_still_be_released(app: Flask, call: Call) -> None:
    sid = schedule_id(0, "DR004")
    locked = lock(call, "CUT-3", sid=sid)[1]
    with sessions_of(app).begin() as session:
        session.execute(update(Slot).where(Slot.schedule_id == sid).values(start_time="00:00"))
    code, body = call("2007", {"lock_id": locked["lock_id"], "mrn": ZHANG_WEI})
    assert (code, body["status"]) == ("0000", "RELEASED")


@pytest.mark.parametrize(("minutes_before", "allowed"), [(121, True), (119, False)])
def test_the_cut_off_setting_moves_the_last_moment_to_cancel(
    app: Flask, call: Call, minutes_before: int, allowed: bool
) -> None:
    sid = schedule_id(3, "DR004")  # an AM clinic: its first slot starts at 08:00
    booked = lock(call, f"CUT-M{minutes_before}", sid=sid)[1]
    sessions = sessions_of(app)
    day = clock.today() + timedelta(days=3)
    opening = datetime.combine(day, datetime.min.time(), clock.SHANGHAI) + timedelta(hours=8)
    with sessions() as session:
        reg = session.get_one(Registration, booked["lock_id"])
        assert cancel_cutoff(session, reg, 120) == opening - timedelta(minutes=120)
    now = opening - timedelta(minutes=minutes_before)
    if allowed:
        assert unlock(sessions, booked["lock_id"], ZHANG_WEI, 120, now)["status"] == "CANCELLED"
    else:
        with pytest.raises(EnvelopeError) as refused:
            unlock(sessions, booked["lock_id"], ZHANG_WEI, 120, now)
        assert refused.value.result_code == "2016"
