"""No slot is sold twice: 40 patients race for a schedule of 10 slots, on SQLite and on
PostgreSQL; and the PostgreSQL database migrates, seeds (twice) and locks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from envelope import clock
from integration_platform import MIGRATIONS
from integration_platform.accounts import create_patient
from integration_platform.models import Patient, Registration, Schedule, Slot
from integration_platform.seed import schedules_for, seed
from servicekit import idcard
from servicekit.db import migrate

Call = Callable[..., tuple[str, dict[str, Any]]]
RACERS = 40


def _patients(app: Flask, prefix: str) -> list[str]:
    sessions = app.extensions["integration_platform"].sessions
    return [
        create_patient(
            sessions,
            id_card_no=idcard.complete(f"{prefix}{n:03d}"),
            name=f"并发{n}",
            phone="13900000000",
            gender="F",
            birth_date=date(1991, 3, 3),
        )["mrn"]
        for n in range(RACERS)
    ]


def _race(
    app: Flask, make_call: Callable[[Flask], Call], schedule_id: str, mrns: list[str]
) -> list[tuple[str, dict[str, Any]]]:
    start = threading.Barrier(len(mrns))

    def one(n: int) -> tuple[str, dict[str, Any]]:
        call = make_call(app)
        start.wait(timeout=30)
        return call(
            "2006",
            {"schedule_id": schedule_id, "mrn": mrns[n], "order_no": f"RACE-{schedule_id}-{n}"},
        )

    with ThreadPoolExecutor(max_workers=len(mrns)) as pool:
        return list(pool.map(one, range(len(mrns))))


def _assert_exactly_ten_sold(
    app: Flask, schedule_id: str, results: list[tuple[str, dict[str, Any]]]
) -> None:
    won = [body for code, body in results if code == "0000"]
    assert len(won) == 10
    assert sorted(code for code, _ in results if code != "0000") == ["2002"] * (RACERS - 10)
    assert len({body["slot_id"] for body in won}) == 10
    with app.extensions["integration_platform"].sessions() as session:
        held = session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.schedule_id == schedule_id)
        )
        free = session.scalar(
            select(func.count())
            .select_from(Slot)
            .where(Slot.schedule_id == schedule_id, Slot.status == "FREE")
        )
    assert (held, free) == (10, 0)


def _today_schedule(doctor: str) -> str:
    return f"SC{clock.today():%Y%m%d}{doctor}AM"


def test_forty_racers_on_sqlite_get_exactly_ten_slots(
    app: Flask, call_factory: Callable[[Flask], Call]
) -> None:
    mrns = _patients(app, "11010119910303")
    schedule_id = _today_schedule("DR003")
    _assert_exactly_ten_sold(app, schedule_id, _race(app, call_factory, schedule_id, mrns))


@pytest.mark.postgres
def test_forty_racers_on_postgresql_get_exactly_ten_slots(
    pg_app: Flask, call_factory: Callable[[Flask], Call]
) -> None:
    app = pg_app
    mrns = _patients(app, "11010119910304")
    schedule_id = _today_schedule("DR005")
    _assert_exactly_ten_sold(app, schedule_id, _race(app, call_factory, schedule_id, mrns))


@pytest.mark.postgres
def test_postgresql_migrates_seeds_idempotently_and_locks(
    hip_postgres_url: str, pg_app: Flask, call_factory: Callable[[Flask], Call]
) -> None:
    migrate(hip_postgres_url, MIGRATIONS)  # the fixture migrated already: nothing to do
    app = pg_app
    sessions = app.extensions["integration_platform"].sessions
    assert seed(sessions) == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) >= 200
        today = session.scalar(
            select(func.count()).select_from(Schedule).where(Schedule.visit_date == clock.today())
        )
        assert today == len([s for s in schedules_for(clock.today(), 1)])
    call = call_factory(app)
    code, body = call(
        "2006", {"schedule_id": _today_schedule("DR007"), "mrn": "M00000001", "order_no": "PG-1"}
    )
    assert (code, body["status"]) == ("0000", "LOCKED")
    code, body = call(
        "2008",
        {
            "order_no": "PG-1",
            "lock_id": body["lock_id"],
            "settlement": {
                "pay_mode": "SELF_PAY",
                "channel": "ALIPAY",
                "channel_trade_no": "A1",
                "cash": body["fees"]["total"],
            },
        },
    )
    assert (code, body["status"]) == ("0000", "CONFIRMED")
    future = (clock.today() + timedelta(days=6)).isoformat()
    assert call("2003", {"start_date": future, "end_date": future})[0] == "0000"
