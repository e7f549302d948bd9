"""The development data: the README's demo patients exactly, and a consistent calendar."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from integration_platform import fees
from integration_platform.seed import (
    ALL_DEPARTMENTS,
    ALL_DOCTORS,
    all_bills,
    all_exam_reports,
    all_lab_reports,
    patient_rows,
    schedules_for,
    slots_for,
)
from integration_platform.seed_data import (
    BILLS,
    DEMO_PATIENTS,
    DEPARTMENTS,
    DOCTORS,
    EXTRA_PATIENTS,
    LAB_REPORTS,
)
from integration_platform.seed_population import insured_persons
from servicekit import idcard

ROOT = Path(__file__).resolve().parents[3]


def test_demo_patients_are_those_of_the_readme() -> None:
    rows = {p[3]: (p[2], p[4], p[5], p[7], p[8]) for p in DEMO_PATIENTS}
    assert rows == {
        "张伟": ("110105198001010016", "M", "1980-01-01", "EMPLOYEE", True),
        "李娜": ("310101199206150027", "F", "1992-06-15", "RESIDENT", True),
        "王强": ("440304197503200035", "M", "1975-03-20", "SELF_PAY", False),
        "张小明": ("110108201008080010", "M", "2010-08-08", "RESIDENT", True),
        "张小宝": ("110105201805050018", "M", "2018-05-05", "RESIDENT", True),
    }


def test_the_child_under_fourteen_carries_his_guardians_phone() -> None:
    phones = {p[3]: p[6] for p in DEMO_PATIENTS}
    assert phones["张小宝"] == phones["张伟"] == "13800000001"


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


def test_two_weeks_of_schedules_have_ten_numbered_slots_each() -> None:
    schedules = schedules_for(date(2026, 11, 26))
    core = [s for s in schedules if s.doctor_code in {d[0] for d in DOCTORS}]
    assert len(core) == 20 * 14 * 2
    assert {s.visit_date for s in schedules} == {
        date(2026, 11, 26) + timedelta(days=n) for n in range(14)
    }
    assert 20 * 14 * 2 < len(schedules) < 80 * 14 * 2
    assert {s.doctor_code for s in schedules} == {d[0] for d in ALL_DOCTORS}
    assert schedules[0].total_fen == schedules[0].reg_fee_fen + schedules[0].diag_fee_fen
    slots = slots_for(schedules[1])
    assert [s.seq_no for s in slots] == list(range(1, 11))
    assert (slots[0].start_time, slots[-1].end_time) == ("13:30", "16:50")


def test_the_hospital_has_twenty_departments_and_eighty_doctors() -> None:
    codes = [d[0] for d in ALL_DEPARTMENTS]
    assert len(codes) == len(set(codes)) == 20
    assert len({d[0] for d in ALL_DOCTORS}) == 80
    assert all(d[3] in codes and d[5] in fees.LEVELS for d in ALL_DOCTORS)
    parents = {d[2] for d in ALL_DEPARTMENTS}
    assert not any(d[3] in parents for d in ALL_DOCTORS)  # clinics sit in leaf departments


def test_two_hundred_patients_of_three_kinds_with_valid_unique_id_cards() -> None:
    rows = patient_rows()
    assert len(rows) == 200 and rows[:5] == list(DEMO_PATIENTS)
    assert len({r[0] for r in rows}) == len({r[1] for r in rows}) == len({r[2] for r in rows})
    assert {r[7] for r in rows} == {"SELF_PAY", "EMPLOYEE", "RESIDENT"}
    for _pid, _mrn, number, _name, gender, birth, _phone, kind, insured in rows:
        assert idcard.is_valid(number)
        assert idcard.gender_of(number) == gender
        assert idcard.birth_date_of(number) == date.fromisoformat(birth)
        assert insured == (kind != "SELF_PAY")


def test_generated_data_is_the_same_every_time() -> None:
    assert patient_rows() == patient_rows()
    assert all_bills() == all_bills() and all_lab_reports() == all_lab_reports()


def test_demo_patients_keep_exactly_their_own_bills_and_reports() -> None:
    demo = {p[1] for p in DEMO_PATIENTS}
    assert [b for b in all_bills() if b[2] in demo] == list(BILLS)
    assert [r for r in all_lab_reports() if r[1] in demo] == list(LAB_REPORTS)


def test_bills_mix_item_classes_and_reports_carry_abnormal_values() -> None:
    bills = all_bills()
    assert len(bills) > 60 and len({b[0] for b in bills}) == len(bills)
    assert {item[5] for b in bills for item in b[7]} == {"A", "B", "C"}
    assert all(item[3] > 0 and item[4] > 0 for b in bills for item in b[7])
    lab = all_lab_reports()
    flags = [item[5] for r in lab for item in r[7]]
    assert "H" in flags and "L" in flags and "" in flags
    assert any(r[6] > 183 for r in lab) and any(r[6] < 30 for r in lab)
    assert {r[5] for r in all_exam_reports()} >= {"CT", "US", "DR"}


def test_persons_extra_json_is_the_insured_seed_patients_beyond_the_demo_five() -> None:
    path = ROOT / "simulators" / "insurance_center" / "persons_extra.json"
    listed = json.loads(path.read_text(encoding="utf-8"))
    assert listed == insured_persons(patient_rows()[5:])
    demo_shape = json.loads((path.parent / "persons.json").read_text(encoding="utf-8"))[0]
    assert all(set(person) == set(demo_shape) for person in listed)
    insured = {r[2]: r[7] for r in patient_rows()[5:] if r[8]}
    assert {p["certno"]: p["insutype"] for p in listed} == {
        number: "310" if kind == "EMPLOYEE" else "390" for number, kind in insured.items()
    }
    assert all(p["balc"] == "0.00" for p in listed if p["insutype"] == "390")
    assert len({p["psn_no"] for p in listed}) == len(listed)
