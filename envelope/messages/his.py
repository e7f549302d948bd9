"""The HIS's trade codes (1xxx, 2xxx, 3xxx, 5xxx), answered by integration_platform: each
request, and the answer integration_platform gives it (envelope.messages.his_answers)."""

from __future__ import annotations

from typing import Any

from envelope.messages.base import Day, Request, Text
from envelope.messages.his_answers import (
    BillDetailAnswer,
    ChargeAnswer,
    ChargeQueryAnswer,
    DepartmentsAnswer,
    DoctorsAnswer,
    EBillAnswer,
    ExamReportAnswer,
    LabReportAnswer,
    LockAnswer,
    PatientCreated,
    PatientInfoAnswer,
    PatientQueryAnswer,
    ReceiptsAnswer,
    RegistrationAnswer,
    RegistrationQueryAnswer,
    RegistrationsAnswer,
    RemainingAnswer,
    ReportsAnswer,
    SchedulesAnswer,
    SlotDetailAnswer,
    UnlockAnswer,
    UnpaidBillsAnswer,
)
from envelope.trades import Trade


class PatientQuery(Request):
    """1001: is there a record for this ID card and name?"""

    trade = Trade.PATIENT_QUERY
    answer = PatientQueryAnswer
    id_card_no: Text
    name: Text


class PatientCreate(Request):
    """1002: create the record (idempotent on id_card_no)."""

    trade = Trade.PATIENT_CREATE
    answer = PatientCreated
    id_card_no: Text
    name: Text
    phone: Text
    gender: Text
    birth_date: Day


class PatientInfo(Request):
    """1003: one record's demographics and patient type."""

    trade = Trade.PATIENT_INFO
    answer = PatientInfoAnswer
    mrn: Text


class Departments(Request):
    """2001: the department list."""

    trade = Trade.DEPARTMENTS
    answer = DepartmentsAnswer


class Doctors(Request):
    """2002: the doctors, of one department or all."""

    trade = Trade.DOCTORS
    answer = DoctorsAnswer
    dept_code: Text | None = None


class Schedules(Request):
    """2003: the schedules of a day range."""

    trade = Trade.SCHEDULES
    answer = SchedulesAnswer
    dept_code: Text | None = None
    doctor_code: Text | None = None
    start_date: Day
    end_date: Day


class RemainingSlots(Request):
    """2004: the live remaining counts of a day range."""

    trade = Trade.REMAINING_SLOTS
    answer = RemainingAnswer
    dept_code: Text | None = None
    doctor_code: Text | None = None
    start_date: Day
    end_date: Day


class SlotDetail(Request):
    """2005: the slots of one schedule."""

    trade = Trade.SLOT_DETAIL
    answer = SlotDetailAnswer
    schedule_id: Text


class LockSlot(Request):
    """2006: lock today's slot or book a future one for an order."""

    trade = Trade.LOCK_SLOT
    answer = LockAnswer
    schedule_id: Text
    slot_id: Text | None = None
    mrn: Text
    order_no: Text


class UnlockSlot(Request):
    """2007: give a lock or booking back."""

    trade = Trade.UNLOCK_SLOT
    answer = UnlockAnswer
    lock_id: Text
    mrn: Text


class ConfirmRegistration(Request):
    """2008: confirm a paid registration (idempotent on order_no)."""

    trade = Trade.CONFIRM_REGISTRATION
    answer = RegistrationAnswer
    order_no: Text
    lock_id: Text
    settlement: dict[str, Any]


class RegistrationRecords(Request):
    """2009: a record's registrations of a day range."""

    trade = Trade.REGISTRATION_RECORDS
    answer = RegistrationsAnswer
    mrn: Text
    start_date: Day
    end_date: Day


class QueryRegistration(Request):
    """2010: what the HIS recorded for an order."""

    trade = Trade.QUERY_REGISTRATION
    answer = RegistrationQueryAnswer
    order_no: Text


class UnpaidBills(Request):
    """3001: a record's unpaid bills and their digest."""

    trade = Trade.UNPAID_BILLS
    answer = UnpaidBillsAnswer
    mrn: Text


class BillDetail(Request):
    """3002: one bill's items."""

    trade = Trade.BILL_DETAIL
    answer = BillDetailAnswer
    bill_no: Text
    mrn: Text


class ConfirmCharge(Request):
    """3003: charge the listed bills (idempotent on order_no)."""

    trade = Trade.CONFIRM_CHARGE
    answer = ChargeAnswer
    order_no: Text
    mrn: Text
    bill_nos: list[Any]
    bills_digest: Text
    settlement: dict[str, Any]


class ChargeRecords(Request):
    """3004: a record's receipts of a day range."""

    trade = Trade.CHARGE_RECORDS
    answer = ReceiptsAnswer
    mrn: Text
    start_date: Day
    end_date: Day


class QueryCharge(Request):
    """3005: what the HIS recorded for a charge order."""

    trade = Trade.QUERY_CHARGE
    answer = ChargeQueryAnswer
    order_no: Text


class EBillQuery(Request):
    """3006: the electronic medical bill of a settled order (registration or charge)."""

    trade = Trade.EBILL
    answer = EBillAnswer
    order_no: Text


class LabReports(Request):
    """5001: a record's lab reports of a day range (at most six months back)."""

    trade = Trade.LAB_REPORTS
    answer = ReportsAnswer
    mrn: Text
    start_date: Day
    end_date: Day


class ExamReports(Request):
    """5002: a record's exam reports of a day range."""

    trade = Trade.EXAM_REPORTS
    answer = ReportsAnswer
    mrn: Text
    start_date: Day
    end_date: Day


class LabReport(Request):
    """5003: one lab report with its values."""

    trade = Trade.LAB_REPORT
    answer = LabReportAnswer
    report_id: Text
    mrn: Text


class ExamReport(Request):
    """5004: one exam report with its findings."""

    trade = Trade.EXAM_REPORT
    answer = ExamReportAnswer
    report_id: Text
    mrn: Text
