"""The clinic calendar over envelopes: 2001 to 2005."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from envelope import clock
from integration_platform.seed import holds_clinic

Call = Callable[..., tuple[str, dict[str, Any]]]


def _week() -> dict[str, str]:
    today = clock.today()
    return {"start_date": today.isoformat(), "end_date": (today + timedelta(days=6)).isoformat()}


def test_departments_are_listed_with_parents(call: Call) -> None:
    code, body = call("2001", {})
    assert code == "0000"
    departments = {d["dept_code"]: d for d in body["departments"]}
    assert len(departments) == 20
    assert departments["D0101"]["parent_code"] == "D01"
    assert {"name", "intro", "location"} <= set(departments["D0101"])


def test_doctors_of_a_parent_department_include_its_sub_departments(call: Call) -> None:
    code, body = call("2002", {"dept_code": "D01"})
    assert code == "0000"
    assert {d["dept_code"] for d in body["doctors"]} == {f"D010{n}" for n in range(1, 7)}
    assert len(call("2002", {})[1]["doctors"]) == 80


def test_schedules_cover_a_week_with_fees_in_fen_and_remaining(call: Call) -> None:
    code, body = call("2003", _week())
    assert code == "0000"
    schedules = body["schedules"]
    doctors = [d["doctor_code"] for d in call("2002", {})[1]["doctors"]]
    days = [clock.today() + timedelta(days=n) for n in range(7)]
    held = [(c, d, p) for c in doctors for d in days for p in ("AM", "PM") if holds_clinic(c, d, p)]
    assert len(schedules) == len(held) and 20 * 7 * 2 < len(held) < 80 * 7 * 2
    assert {(r["doctor_code"], r["date"], r["period"]) for r in schedules} == {
        (c, d.isoformat(), p) for c, d, p in held
    }
    first = schedules[0]
    assert first["date"] == clock.today().isoformat()
    assert first["remaining"] == 10 and first["capacity"] == 10
    for row in schedules:
        assert row["total"] == row["reg_fee"] + row["diag_fee"]
        assert all(isinstance(row[k], int) for k in ("reg_fee", "diag_fee", "total"))


def test_schedules_filter_by_doctor(call: Call) -> None:
    code, body = call("2003", {**_week(), "doctor_code": "DR001"})
    assert code == "0000"
    assert {row["doctor_code"] for row in body["schedules"]} == {"DR001"}
    assert len(body["schedules"]) == 14
    assert body["schedules"][0]["total"] == 3100


def test_schedule_range_ending_before_it_starts_is_refused_with_1009(call: Call) -> None:
    week = _week()
    assert call("2003", {"start_date": week["end_date"], "end_date": week["start_date"]})[0] == (
        "1009"
    )
    assert call("2003", {"start_date": "2026-02-30", "end_date": "2026-03-01"})[0] == "1009"


def test_remaining_needs_a_department_or_doctor(call: Call) -> None:
    assert call("2004", _week())[0] == "1009"
    code, body = call("2004", {**_week(), "doctor_code": "DR016"})
    assert code == "0000"
    assert len(body["schedules"]) == 7 * 2
    assert all(row["remaining"] == 10 for row in body["schedules"])
    code, body = call("2004", {**_week(), "dept_code": "D05"})
    assert code == "0000" and {"DR016", "DR017"} < {r["doctor_code"] for r in body["schedules"]}


def test_two_weeks_of_schedules_are_seeded(call: Call) -> None:
    last = (clock.today() + timedelta(days=13)).isoformat()
    code, body = call("2003", {"start_date": last, "end_date": last, "doctor_code": "DR001"})
    assert code == "0000" and len(body["schedules"]) == 2


def test_slot_detail_lists_numbered_free_slots(call: Call) -> None:
    schedule_id = call("2003", {**_week(), "doctor_code": "DR002"})[1]["schedules"][0][
        "schedule_id"
    ]
    code, body = call("2005", {"schedule_id": schedule_id})
    assert code == "0000"
    assert [s["seq_no"] for s in body["slots"]] == list(range(1, 11))
    assert body["slots"][0]["start_time"] == "08:00" and body["slots"][0]["end_time"] == "08:20"
    assert {s["status"] for s in body["slots"]} == {"FREE"}


def test_slot_detail_of_unknown_schedule_is_refused_with_2008(call: Call) -> None:
    assert call("2005", {"schedule_id": "SC19990101DR001AM"})[0] == "2008"
