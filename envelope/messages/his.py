"""The HIS's trade codes (1xxx, 2xxx, 3xxx, 5xxx), answered by integration_platform."""

from __future__ import annotations

from typing import Any

from envelope.messages.base import Day, Request, Text
from envelope.trades import Trade


class PatientQuery(Request):
    """1001: is there a record for this ID card and name?"""

    trade = Trade.PATIENT_QUERY
    id_card_no: Text
    name: Text


class PatientCreate(Request):
    """1002: create the record (idempotent on id_card_no)."""

    trade = Trade.PATIENT_CREATE
    id_card_no: Text
    name: Text
    phone: Text
    gender: Text
    birth_date: Day


class PatientInfo(Request):
    """1003: one record's demographics and patient type."""

    trade = Trade.PATIENT_INFO
    mrn: Text


class Departments(Request):
    """2001: the department list."""

    trade = Trade.DEPARTMENTS


class Doctors(Request):
    """2002: the doctors, of one department or all."""

    trade = Trade.DOCTORS
    dept_code: Text | None = None


class Schedules(Request):
    """2003: the schedules of a day range."""

    trade = Trade.SCHEDULES
    dept_code: Text | None = None
    doctor_code: Text | None = None
    start_date: Day
    end_date: Day


class RemainingSlots(Request):
    """2004: the live remaining counts of a day range."""

    trade = Trade.REMAINING_SLOTS
    dept_code: Text | None = None
    doctor_code: Text | None = None
    start_date: Day
    end_date: Day


class SlotDetail(Request):
    """2005: the slots of one schedule."""

    trade = Trade.SLOT_DETAIL
    schedule_id: Text


class LockSlot(Request):
    """2006: lock today's slot or book a future one for an order."""

    trade = Trade.LOCK_SLOT
    schedule_id: Text
    slot_id: Text | None = None
    mrn: Text
    order_no: Text


class UnlockSlot(Request):
    """2007: give a lock or booking back."""

    trade = Trade.UNLOCK_SLOT
    lock_id: Text
    mrn: Text


class ConfirmRegistration(Request):
    """2008: confirm a paid registration (idempotent on order_no)."""

    trade = Trade.CONFIRM_REGISTRATION
    order_no: Text
    lock_id: Text
    settlement: dict[str, Any]


class RegistrationRecords(Request):
    """2009: a record's registrations of a day range."""

    trade = Trade.REGISTRATION_RECORDS
    mrn: Text
    start_date: Day
    end_date: Day


class QueryRegistration(Request):
    """2010: what the HIS recorded for an order."""

    trade = Trade.QUERY_REGISTRATION
    order_no: Text


class UnpaidBills(Request):
    """3001: a record's unpaid bills and their digest."""

    trade = Trade.UNPAID_BILLS
    mrn: Text


class BillDetail(Request):
    """3002: one bill's items."""

    trade = Trade.BILL_DETAIL
    bill_no: Text
    mrn: Text


class ConfirmCharge(Request):
    """3003: charge the listed bills (idempotent on order_no)."""

    trade = Trade.CONFIRM_CHARGE
    order_no: Text
    mrn: Text
    bill_nos: list[Any]
    bills_digest: Text
    settlement: dict[str, Any]


class ChargeRecords(Request):
    """3004: a record's receipts of a day range."""

    trade = Trade.CHARGE_RECORDS
    mrn: Text
    start_date: Day
    end_date: Day


class QueryCharge(Request):
    """3005: what the HIS recorded for a charge order."""

    trade = Trade.QUERY_CHARGE
    order_no: Text


class LabReports(Request):
    """5001: a record's lab reports of a day range (at most six months back)."""

    trade = Trade.LAB_REPORTS
    mrn: Text
    start_date: Day
    end_date: Day


class ExamReports(Request):
    """5002: a record's exam reports of a day range."""

    trade = Trade.EXAM_REPORTS
    mrn: Text
    start_date: Day
    end_date: Day


class LabReport(Request):
    """5003: one lab report with its values."""

    trade = Trade.LAB_REPORT
    report_id: Text
    mrn: Text


class ExamReport(Request):
    """5004: one exam report with its findings."""

    trade = Trade.EXAM_REPORT
    report_id: Text
    mrn: Text
