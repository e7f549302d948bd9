"""The development data: the README's demo patients exactly, and a consistent calendar."""

from __future__ import annotations

from datetime import date

from integration_platform import fees, idcard
from integration_platform.seed import schedules_for, slots_for
from integration_platform.seed_data import (
    BILLS,
    DEMO_PATIENTS,
    DEPARTMENTS,
    DOCTORS,
    EXTRA_PATIENTS,
    LAB_REPORTS,
)


def test_demo_patients_are_those_of_the_readme() -> None:
    rows = {p[3]: (p[2], p[4], p[5], p[7], p[8]) for p in DEMO_PATIENTS}
    assert rows == {
        "张伟": ("110105198001010016", "M", "1980-01-01", "EMPLOYEE", True),
        "李娜": ("310101199206150027", "F", "1992-06-15", "RESIDENT", True),
        "王强": ("440304197503200035", "M", "1975-03-20", "SELF_PAY", False),
        "张小明": ("110108201008080010", "M", "2010-08-08", "RESIDENT", True),
    }


def test_every_seeded_id_card_matches_its_birth_date_and_gender() -> None:
    numbers = [(p[2], p[4], p[5]) for p in DEMO_PATIENTS]
    numbers += [(idcard.complete(p[2]), p[4], p[5]) for p in EXTRA_PATIENTS]
    for number, gender, birth in numbers:
        assert idcard.is_valid(number)
        assert idcard.gender_of(number) == gender
        assert idcard.birth_date_of(number) == date.fromisoformat(birth)


def test_zhang_wei_has_two_bills_mixing_classes_a_b_and_c() -> None:
    bills = [b for b in BILLS if b[2] == "M00000001"]
    assert len(bills) == 2
    assert {item[5] for b in bills for item in b[7]} == {"A", "B", "C"}
    assert {b[2] for b in BILLS} == {"M00000001", "M00000002", "M00000003"}
    assert any(item[5] == "H" for r in LAB_REPORTS if r[1] == "M00000001" for item in r[7])


def test_calendar_refers_to_known_departments_and_levels() -> None:
    depts = {d[0] for d in DEPARTMENTS}
    assert len(depts) >= 10 and len(DOCTORS) == 20
    assert all(d[3] in depts and d[5] in fees.LEVELS for d in DOCTORS)


def test_a_week_of_schedules_has_ten_numbered_slots_each() -> None:
    schedules = schedules_for(date(2026, 11, 26))
    assert len(schedules) == 20 * 7 * 2
    assert schedules[0].total_fen == schedules[0].reg_fee_fen + schedules[0].diag_fee_fen
    slots = slots_for(schedules[1])
    assert [s.seq_no for s in slots] == list(range(1, 11))
    assert (slots[0].start_time, slots[-1].end_time) == ("13:30", "16:50")
