"""The HIS schema: patients, the clinic calendar, registrations, bills, charges and reports.

Money columns are integer fen (``*_fen``); moments are stored as naive UTC so that SQLite
and PostgreSQL compare them the same way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from envelope import clock

ACTIVE_HOLDS = ("LOCKED", "BOOKED", "CONFIRMED")


class Base(DeclarativeBase):
    """Declarative base of the HIS tables."""


def to_db_time(moment: datetime) -> datetime:
    """An aware moment as the naive UTC value the database stores."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db_time(stored: datetime) -> datetime:
    """A stored naive UTC value as an aware Asia/Shanghai moment."""
    return stored.replace(tzinfo=UTC).astimezone(clock.SHANGHAI)


def db_now() -> datetime:
    """Now, as the database stores it."""
    return to_db_time(clock.now())


class Patient(Base):
    """A patient record; mrn is the hospital's record number."""

    __tablename__ = "patients"
    patient_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    mrn: Mapped[str] = mapped_column(String(20), unique=True)
    id_card_no: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), default="")
    patient_type: Mapped[str] = mapped_column(String(10), default="SELF_PAY")
    insured: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=db_now)


class Department(Base):
    """A clinical department; parent_code groups sub-departments."""

    __tablename__ = "departments"
    dept_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    parent_code: Mapped[str | None] = mapped_column(String(10))
    intro: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(80), default="")


class Doctor(Base):
    """A doctor who holds clinics."""

    __tablename__ = "doctors"
    doctor_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(20))
    dept_code: Mapped[str] = mapped_column(ForeignKey("departments.dept_code"))
    specialty: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(10), default="GENERAL")


class Schedule(Base):
    """One half-day clinic of a doctor, with its fees."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_date_dept", "visit_date", "dept_code"),)
    schedule_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    dept_code: Mapped[str] = mapped_column(ForeignKey("departments.dept_code"))
    doctor_code: Mapped[str] = mapped_column(ForeignKey("doctors.doctor_code"))
    visit_date: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(2))
    level: Mapped[str] = mapped_column(String(10))
    reg_fee_fen: Mapped[int] = mapped_column(Integer)
    diag_fee_fen: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)


class Slot(Base):
    """A numbered appointment time of a schedule: FREE, LOCKED, BOOKED or CONFIRMED."""

    __tablename__ = "slots"
    slot_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.schedule_id"), index=True)
    seq_no: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(10), default="FREE")


class Registration(Base):
    """A slot lock or booking by order_no, and the registration it becomes when confirmed."""

    __tablename__ = "registrations"
    __table_args__ = (
        # One patient holds at most one slot of a schedule, even under concurrency.
        Index(
            "uq_registrations_active_hold",
            "mrn",
            "schedule_id",
            unique=True,
            sqlite_where=text("status IN ('LOCKED', 'BOOKED', 'CONFIRMED')"),
            postgresql_where=text("status IN ('LOCKED', 'BOOKED', 'CONFIRMED')"),
        ),
        Index("ix_registrations_status_expires", "status", "expires_at"),
    )
    lock_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64), unique=True)
    mrn: Mapped[str] = mapped_column(String(20), index=True)
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.schedule_id"))
    slot_id: Mapped[str] = mapped_column(ForeignKey("slots.slot_id"))
    status: Mapped[str] = mapped_column(String(10))
    reg_fee_fen: Mapped[int] = mapped_column(Integer)
    diag_fee_fen: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=db_now)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    reg_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    visit_no: Mapped[str | None] = mapped_column(String(40))
    queue_no: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(80))
    settlement: Mapped[str | None] = mapped_column(Text)
    confirm_digest: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Bill(Base):
    """An outpatient bill of a visit: UNPAID until a charge pays it."""

    __tablename__ = "bills"
    bill_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    visit_no: Mapped[str] = mapped_column(String(40))
    mrn: Mapped[str] = mapped_column(String(20), index=True)
    dept_code: Mapped[str] = mapped_column(String(10))
    doctor_code: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="UNPAID")
    billed_at: Mapped[datetime] = mapped_column(DateTime, default=db_now)
    receipt_no: Mapped[str | None] = mapped_column(String(40))


class BillItem(Base):
    """A fee item of a bill, with its insurance class (A, B, C) and list code."""

    __tablename__ = "bill_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bill_no: Mapped[str] = mapped_column(ForeignKey("bills.bill_no"), index=True)
    seq_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(80))
    spec: Mapped[str] = mapped_column(String(40), default="")
    qty: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    insurance_class: Mapped[str] = mapped_column(String(1))
    list_code: Mapped[str] = mapped_column(String(40))


class Charge(Base):
    """A payment of bills at the HIS: receipt and invoice, idempotent on order_no."""

    __tablename__ = "charges"
    receipt_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_no: Mapped[str] = mapped_column(String(40), unique=True)
    order_no: Mapped[str] = mapped_column(String(64), unique=True)
    mrn: Mapped[str] = mapped_column(String(20), index=True)
    bill_nos: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(Integer)
    settlement: Mapped[str] = mapped_column(Text)
    confirm_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="PAID")
    charged_at: Mapped[datetime] = mapped_column(DateTime, default=db_now)


class LabReport(Base):
    """A laboratory report."""

    __tablename__ = "lab_reports"
    report_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    mrn: Mapped[str] = mapped_column(String(20), index=True)
    visit_no: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(80))
    dept_code: Mapped[str] = mapped_column(String(10))
    specimen: Mapped[str] = mapped_column(String(40), default="")
    reported_at: Mapped[datetime] = mapped_column(DateTime)


class LabReportItem(Base):
    """One measured value of a lab report with its reference range and abnormal flag."""

    __tablename__ = "lab_report_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("lab_reports.report_id"), index=True)
    seq_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20), default="")
    reference_range: Mapped[str] = mapped_column(String(40), default="")
    abnormal_flag: Mapped[str] = mapped_column(String(1), default="")


class ExamReport(Base):
    """An imaging or functional exam report."""

    __tablename__ = "exam_reports"
    report_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    mrn: Mapped[str] = mapped_column(String(20), index=True)
    visit_no: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(80))
    dept_code: Mapped[str] = mapped_column(String(10))
    modality: Mapped[str] = mapped_column(String(10))
    body_part: Mapped[str] = mapped_column(String(40), default="")
    findings: Mapped[str] = mapped_column(Text)
    conclusion: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(DateTime)
