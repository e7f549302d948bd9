"""Seeding the HIS with development data; running it again adds nothing twice.

About 20 departments, 80 doctors, 200 patients with bills and reports (seed_data holds the
README's demo patients, seed_population generates the rest deterministically). Schedules
cover two weeks from today (Asia/Shanghai), so seeding again on a later day adds the new
days; every slot of today is lockable whatever the clock says.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from envelope import clock
from integration_platform import fees
from integration_platform.models import (
    Base,
    Bill,
    BillItem,
    Department,
    Doctor,
    ExamReport,
    LabReport,
    LabReportItem,
    Patient,
    Schedule,
    Slot,
    to_db_time,
)
from integration_platform.seed_data import (
    BILLS,
    DEMO_PATIENTS,
    DEPARTMENTS,
    DOCTORS,
    EXAM_REPORTS,
    EXTRA_PATIENTS,
    LAB_REPORTS,
)
from integration_platform.seed_population import (
    MORE_DEPARTMENTS,
    generated_bills,
    generated_doctors,
    generated_exam_reports,
    generated_lab_reports,
    generated_patients,
)
from servicekit import idcard
from servicekit.db import transaction

SCHEDULE_DAYS = 14
SLOTS_PER_SCHEDULE = 10
SLOT_MINUTES = 20
PERIOD_STARTS = {"AM": time(8, 0), "PM": time(13, 30)}


def _add_missing(
    session: Session, key: InstrumentedAttribute[Any], rows: Sequence[Base]
) -> list[Base]:
    """Add the rows whose key is not in the table yet; return those added."""
    wanted = [getattr(row, key.key) for row in rows]
    present = set(session.scalars(select(key).where(key.in_(wanted))).all())
    added = [row for row in rows if getattr(row, key.key) not in present]
    session.add_all(added)
    return added


ALL_DEPARTMENTS = (*DEPARTMENTS, *MORE_DEPARTMENTS)
ALL_DOCTORS = (*DOCTORS, *generated_doctors(len(DOCTORS) + 1))
_CORE_DOCTORS = frozenset(row[0] for row in DOCTORS)


def patient_rows() -> list[tuple[Any, ...]]:
    """Every seeded patient: the demo four, the listed extras, then the generated ones."""
    extras = [(p[0], p[1], idcard.complete(p[2]), *p[3:]) for p in EXTRA_PATIENTS]
    return [*DEMO_PATIENTS, *extras, *generated_patients()]


def _others() -> list[str]:
    """Record numbers of the patients beyond the demo four (who keep exactly their data)."""
    return [row[1] for row in patient_rows()[len(DEMO_PATIENTS) :]]


def all_bills() -> list[tuple[Any, ...]]:
    """The demo patients' bills and the generated ones."""
    return [*BILLS, *generated_bills(_others(), list(ALL_DOCTORS))]


def all_lab_reports() -> list[tuple[Any, ...]]:
    """The demo patients' lab reports and the generated ones."""
    return [*LAB_REPORTS, *generated_lab_reports(_others())]


def all_exam_reports() -> list[tuple[Any, ...]]:
    """The demo patients' exam reports and the generated ones."""
    return [*EXAM_REPORTS, *generated_exam_reports(_others())]


def holds_clinic(doctor_code: str, day: date, period: str) -> bool:
    """The core doctors sit every half-day; the others two half-days in three."""
    if doctor_code in _CORE_DOCTORS:
        return True
    return (int(doctor_code[2:]) + day.toordinal() + (period == "PM")) % 3 != 0


def _moment(today: date, days_ago: int, at: time = time(10, 30)) -> datetime:
    return to_db_time(datetime.combine(today - timedelta(days=days_ago), at, clock.SHANGHAI))


def _patients() -> list[Patient]:
    return [
        Patient(
            patient_id=pid,
            mrn=mrn,
            id_card_no=number,
            name=name,
            gender=gender,
            birth_date=date.fromisoformat(birth),
            phone=phone,
            patient_type=kind,
            insured=insured,
        )
        for pid, mrn, number, name, gender, birth, phone, kind, insured in patient_rows()
    ]


def _slot_times(period: str) -> Iterable[tuple[int, str, str]]:
    start = datetime.combine(date(2000, 1, 1), PERIOD_STARTS[period])
    for seq in range(1, SLOTS_PER_SCHEDULE + 1):
        begin = start + timedelta(minutes=SLOT_MINUTES * (seq - 1))
        end = begin + timedelta(minutes=SLOT_MINUTES)
        yield seq, begin.strftime("%H:%M"), end.strftime("%H:%M")


def schedules_for(today: date, days: int = SCHEDULE_DAYS) -> list[Schedule]:
    """The doctors' morning and afternoon clinics for ``days`` days from today."""
    rows = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        for code, _name, _title, dept_code, _specialty, level_code in ALL_DOCTORS:
            level = fees.level(level_code)
            for period in PERIOD_STARTS:
                if not holds_clinic(code, day, period):
                    continue
                rows.append(
                    Schedule(
                        schedule_id=f"SC{day:%Y%m%d}{code}{period}",
                        dept_code=dept_code,
                        doctor_code=code,
                        visit_date=day,
                        period=period,
                        level=level_code,
                        reg_fee_fen=level.reg_fee_fen,
                        diag_fee_fen=level.diag_fee_fen,
                        total_fen=level.total_fen,
                        capacity=SLOTS_PER_SCHEDULE,
                    )
                )
    return rows


def slots_for(schedule: Schedule) -> list[Slot]:
    """The numbered slots of a new schedule, all FREE."""
    return [
        Slot(
            slot_id=f"{schedule.schedule_id}-{seq:02d}",
            schedule_id=schedule.schedule_id,
            seq_no=seq,
            start_time=begin,
            end_time=end,
            status="FREE",
        )
        for seq, begin, end in _slot_times(schedule.period)
    ]


def _seed_calendar(session: Session, today: date) -> int:
    _add_missing(
        session,
        Department.dept_code,
        [
            Department(dept_code=c, name=n, parent_code=p, intro=i, location=loc)
            for c, n, p, i, loc in ALL_DEPARTMENTS
        ],
    )
    session.flush()
    _add_missing(
        session,
        Doctor.doctor_code,
        [
            Doctor(doctor_code=c, name=n, title=t, dept_code=d, specialty=s, level=lv)
            for c, n, t, d, s, lv in ALL_DOCTORS
        ],
    )
    session.flush()
    added = _add_missing(session, Schedule.schedule_id, schedules_for(today))
    session.flush()
    rows = [
        {c: getattr(slot, c) for c in _SLOT_COLUMNS}
        for schedule in added
        if isinstance(schedule, Schedule)
        for slot in slots_for(schedule)
    ]
    if rows:  # one multi-row INSERT: thousands of slots in a moment on either database
        session.execute(insert(Slot), rows)
    return len(added)


_SLOT_COLUMNS = ("slot_id", "schedule_id", "seq_no", "start_time", "end_time", "status")


def _seed_bills(session: Session, today: date) -> None:
    for bill_no, visit_no, mrn, dept, doctor, kind, days_ago, items in all_bills():
        bill = Bill(
            bill_no=bill_no,
            visit_no=visit_no,
            mrn=mrn,
            dept_code=dept,
            doctor_code=doctor,
            kind=kind,
            status="UNPAID",
            amount_fen=sum(qty * price for _c, _n, _s, qty, price, _k, _l in items),
            billed_at=_moment(today, days_ago),
        )
        if _add_missing(session, Bill.bill_no, [bill]):
            session.add_all(
                BillItem(
                    bill_no=bill_no,
                    seq_no=seq,
                    item_code=code,
                    name=name,
                    spec=spec,
                    qty=qty,
                    unit_price_fen=price,
                    amount_fen=qty * price,
                    insurance_class=klass,
                    list_code=list_code,
                )
                for seq, (code, name, spec, qty, price, klass, list_code) in enumerate(items, 1)
            )


def _seed_reports(session: Session, today: date) -> None:
    for report_id, mrn, visit_no, title, dept, specimen, days_ago, lab_items in all_lab_reports():
        report = LabReport(
            report_id=report_id,
            mrn=mrn,
            visit_no=visit_no,
            title=title,
            dept_code=dept,
            specimen=specimen,
            reported_at=_moment(today, days_ago),
        )
        if _add_missing(session, LabReport.report_id, [report]):
            session.add_all(
                LabReportItem(
                    report_id=report_id,
                    seq_no=seq,
                    item_code=code,
                    name=name,
                    value=value,
                    unit=unit,
                    reference_range=ref,
                    abnormal_flag=flag,
                )
                for seq, (code, name, value, unit, ref, flag) in enumerate(lab_items, 1)
            )


def _seed_exam_reports(session: Session, today: date) -> None:
    _add_missing(
        session,
        ExamReport.report_id,
        [
            ExamReport(
                report_id=r,
                mrn=m,
                visit_no=v,
                title=t,
                dept_code=d,
                modality=mod,
                body_part=part,
                findings=fin,
                conclusion=con,
                reported_at=_moment(today, ago),
            )
            for r, m, v, t, d, mod, part, fin, con, ago in all_exam_reports()
        ],
    )


def seed(sessions: sessionmaker[Session], today: date | None = None) -> int:
    """Insert whatever development data is missing; return the number of new schedules."""
    day = today or clock.today()
    with transaction(sessions) as session:
        added = _seed_calendar(session, day)
        _add_missing(session, Patient.patient_id, _patients())
        _seed_bills(session, day)
        _seed_reports(session, day)
        _seed_exam_reports(session, day)
    return added
