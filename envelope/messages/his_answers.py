"""The answers integration_platform gives the HIS's trade codes, exactly as its handlers
build them (DESIGN §3 names; money int fen; a list under its plural noun)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StrictInt, model_validator

from envelope.messages.base import Day, Fen, Message, Text
from envelope.messages.his_parts import (
    ClockTime,
    Count,
    FeeItem,
    Fees,
    HoldStatus,
    Moment,
    PatientType,
    Settlement,
    Summed,
)


class PatientSummary(Message):
    """Who a record is: its numbers, patient type and whether the person is insured."""

    patient_id: Text
    mrn: Text
    patient_type: PatientType
    insured: bool


class PatientQueryAnswer(Message):
    """1001: exists false alone, or the record's summary and phone."""

    exists: bool
    patient_id: Text | None = None
    mrn: Text | None = None
    patient_type: PatientType | None = None
    insured: bool | None = None
    phone: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        known = (self.patient_id, self.mrn, self.patient_type, self.insured, self.phone)
        if self.exists and None in known:
            raise ValueError("a record that exists is answered with its summary and phone")
        if not self.exists and any(value is not None for value in known):
            raise ValueError("a record that does not exist is answered with nothing more")
        return self


class PatientCreated(PatientSummary):
    """1002: the record, and whether this call created it."""

    created: bool


class PatientInfoAnswer(PatientSummary):
    """1003: the record's demographics."""

    id_card_no: Annotated[str, Field(pattern=r"^[0-9]{17}[0-9X]$")]
    name: Text
    gender: Literal["M", "F"]
    birth_date: Day
    phone: str


class DepartmentRow(Message):
    """2001: one department."""

    dept_code: Text
    name: Text
    parent_code: Text | None
    intro: str
    location: str


class DepartmentsAnswer(Message):
    """2001: every department."""

    departments: list[DepartmentRow]


class DoctorRow(Message):
    """2002: one doctor."""

    doctor_code: Text
    name: Text
    title: Text
    dept_code: Text
    specialty: str
    level: Text


class DoctorsAnswer(Message):
    """2002: the doctors asked for."""

    doctors: list[DoctorRow]


class ScheduleRow(Summed):
    """2003: one half-day clinic with its fees (fen) and live remaining slots."""

    schedule_id: Text
    date: Day
    period: Literal["AM", "PM"]
    dept_code: Text
    dept_name: Text
    doctor_code: Text
    doctor_name: Text
    doctor_title: Text
    level: Text
    level_name: Text
    reg_fee: Fen
    diag_fee: Fen
    total: Fen
    capacity: Count
    remaining: Count

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        self._check_sum(self.total, [self.reg_fee, self.diag_fee], "total")
        if self.remaining > self.capacity:
            raise ValueError("remaining is more than the capacity")
        return self


class SchedulesAnswer(Message):
    """2003: the schedules of the range."""

    schedules: list[ScheduleRow]


class RemainingRow(Message):
    """2004: one schedule's remaining slots."""

    schedule_id: Text
    date: Day
    period: Literal["AM", "PM"]
    doctor_code: Text
    remaining: Count


class RemainingAnswer(Message):
    """2004: remaining slots per schedule."""

    schedules: list[RemainingRow]


class SlotRow(Message):
    """2005: one numbered slot and its state."""

    slot_id: Text
    seq_no: Annotated[StrictInt, Field(ge=1)]
    start_time: ClockTime
    end_time: ClockTime
    status: Literal["FREE", "LOCKED", "BOOKED", "CONFIRMED"]


class SlotDetailAnswer(ScheduleRow):
    """2005: the schedule with its slots."""

    slots: list[SlotRow]


class _Hold(Message):
    """What every answer about one lock or registration carries."""

    lock_id: Text
    order_no: Text
    status: HoldStatus
    expires_at: Moment | None
    mrn: Text
    schedule_id: Text
    slot_id: Text
    seq_no: Annotated[StrictInt, Field(ge=1)]
    start_time: ClockTime
    end_time: ClockTime
    visit_date: Day
    fees: Fees


class LockAnswer(_Hold):
    """2006: the lock (today, with its expiry) or booking (a future day, none)."""


class UnlockAnswer(Message):
    """2007: the lock released or the booking cancelled."""

    lock_id: Text
    order_no: Text
    status: Literal["RELEASED", "CANCELLED"]


class RegistrationAnswer(_Hold):
    """2008 (and each of 2009's rows): the registration, numbered once confirmed."""

    period: Literal["AM", "PM"]
    dept_code: Text
    doctor_code: Text
    items: list[FeeItem]
    reg_no: Text | None
    visit_no: Text | None
    queue_no: Annotated[StrictInt, Field(ge=1)] | None
    location: str | None
    settlement: Settlement | None

    @model_validator(mode="after")
    def _numbered_when_confirmed(self) -> Self:
        numbers = (self.reg_no, self.visit_no, self.queue_no, self.location, self.settlement)
        if self.status == "CONFIRMED" and None in numbers:
            raise ValueError("a confirmed registration carries its numbers and settlement")
        if sum(item.amount for item in self.items) != self.fees.total:
            raise ValueError("the items do not add up to the fees' total")
        return self


class RegistrationsAnswer(Message):
    """2009: a record's registrations."""

    registrations: list[RegistrationAnswer]


class RegistrationQueryAnswer(Message):
    """2010: status NONE with the order_no when the HIS never saw the order, else the
    registration (checked as 2008's answer)."""

    status: Literal["NONE", "LOCKED", "BOOKED", "CONFIRMED", "RELEASED", "CANCELLED"]
    order_no: Text

    @model_validator(mode="after")
    def _registration(self) -> Self:
        if self.status != "NONE":
            RegistrationAnswer.model_validate(self.model_dump())
        elif self.model_extra:
            raise ValueError("an order the HIS never saw is answered with nothing more")
        return self


class BillRow(Message):
    """3001: one bill of a visit."""

    bill_no: Text
    visit_no: Text
    mrn: Text
    dept_code: Text
    dept: Text
    doctor_code: str
    doctor: str
    kind: Text
    amount: Fen
    status: Literal["UNPAID", "PAID"]
    billed_at: Moment


class UnpaidBillsAnswer(Message):
    """3001: the unpaid bills, their total (fen) and digest."""

    bills: list[BillRow]
    total: Fen
    bills_digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

    @model_validator(mode="after")
    def _adds_up(self) -> Self:
        if self.total != sum(bill.amount for bill in self.bills):
            raise ValueError("total is not the sum of the bills")
        return self


class BillDetailAnswer(BillRow):
    """3002: the bill with its fee items."""

    items: list[FeeItem]


class ChargeAnswer(Message):
    """3003 (and each of 3004's receipts): the bills paid together, with receipt and invoice."""

    status: Text
    order_no: Text
    mrn: Text
    receipt_no: Text
    invoice_no: Text
    bill_nos: Annotated[list[Text], Field(min_length=1)]
    amount: Fen
    settlement: Settlement
    charged_at: Moment


class ReceiptsAnswer(Message):
    """3004: a record's receipts."""

    receipts: list[ChargeAnswer]


class ChargeQueryAnswer(Message):
    """3005: status NONE with the order_no, else the charge (checked as 3003's answer)."""

    status: Text
    order_no: Text

    @model_validator(mode="after")
    def _charge(self) -> Self:
        if self.status != "NONE":
            ChargeAnswer.model_validate(self.model_dump())
        elif self.model_extra:
            raise ValueError("an order the HIS never saw is answered with nothing more")
        return self


class ReportSummary(Message):
    """5001 / 5002: one report of the patient's."""

    report_id: Text
    kind: Literal["LAB", "EXAM"]
    mrn: Text
    visit_no: Text
    title: Text
    dept_code: Text
    reported_at: Moment


class ReportsAnswer(Message):
    """5001 / 5002: the reports of the range."""

    reports: list[ReportSummary]


class LabValue(Message):
    """5003: one measured value with its reference range and abnormal flag."""

    item_code: Text
    name: Text
    value: str
    unit: str
    reference_range: str
    abnormal_flag: Literal["", "H", "L"]
    abnormal: bool


class LabReportBody(ReportSummary):
    """5003: a lab report."""

    kind: Literal["LAB"]
    specimen: str
    items: list[LabValue]


class LabReportAnswer(Message):
    """5003: the report."""

    report: LabReportBody


class ExamReportBody(ReportSummary):
    """5004: an exam report."""

    kind: Literal["EXAM"]
    modality: Text
    body_part: str
    findings: str
    conclusion: str


class ExamReportAnswer(Message):
    """5004: the report."""

    report: ExamReportBody


class EBill(Message):
    """One 医疗收费电子票据 as the fiscal e-bill platform issued it (DESIGN §12).

    status is ISSUED, or RED_FLUSHED once a refund cancelled it (a new bill is then issued
    for what remains); pdf_base64 is the platform's PDF of the bill."""

    batch_code: Text
    bill_no: Text
    check_code: Text
    amount: Fen
    issued_at: Moment
    status: Literal["ISSUED", "RED_FLUSHED"]
    pdf_base64: Text


class EBillAnswer(Message):
    """3006: the order's current e-bill."""

    ebill: EBill
