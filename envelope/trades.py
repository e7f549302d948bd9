"""The trade codes of DESIGN §3 (34) and §12 (3006, 6004, 6005) by name: a trade code is
always ``Trade.X``, a result code always ``codes.X``, never a bare "2006"."""

from __future__ import annotations

from enum import StrEnum


class Trade(StrEnum):
    """A trade code; a StrEnum, so ``Trade.LOCK_SLOT == "2006"`` and it keys str tables."""

    PATIENT_QUERY = "1001"
    PATIENT_CREATE = "1002"
    PATIENT_INFO = "1003"
    DEPARTMENTS = "2001"
    DOCTORS = "2002"
    SCHEDULES = "2003"
    REMAINING_SLOTS = "2004"
    SLOT_DETAIL = "2005"
    LOCK_SLOT = "2006"
    UNLOCK_SLOT = "2007"
    CONFIRM_REGISTRATION = "2008"
    REGISTRATION_RECORDS = "2009"
    QUERY_REGISTRATION = "2010"
    UNPAID_BILLS = "3001"
    BILL_DETAIL = "3002"
    CONFIRM_CHARGE = "3003"
    CHARGE_RECORDS = "3004"
    QUERY_CHARGE = "3005"
    EBILL = "3006"
    INSURANCE_SIGN_IN = "4001"
    INSURANCE_SIGN_OUT = "4002"
    INSURED_PERSON = "4003"
    PRESETTLE = "4004"
    SETTLE = "4005"
    REVERSE_SETTLEMENT = "4006"
    QUERY_SETTLEMENT = "4007"
    RECONCILE_TOTALS = "4008"
    RECONCILE_DETAIL = "4009"
    LAB_REPORTS = "5001"
    EXAM_REPORTS = "5002"
    LAB_REPORT = "5003"
    EXAM_REPORT = "5004"
    REPORT_READY = "6001"
    CLINIC_STOPPED = "6002"
    WINDOW_REFUND = "6003"
    VISIT_REMINDER = "6004"
    NEW_BILL = "6005"
