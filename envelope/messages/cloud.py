"""The notices the hospital sends out to the cloud (6xxx) and the cloud's answers."""

from __future__ import annotations

from envelope.messages.base import Day, Fen, Message, Request, Text
from envelope.trades import Trade


class NoticeAck(Message):
    """The cloud's answer to a notice: it was taken (the HIS's outbox may finish)."""

    ack: bool


class ReportReady(Request):
    """6001: a lab or exam report is ready."""

    trade = Trade.REPORT_READY
    answer = NoticeAck
    mrn: Text
    report_id: Text
    kind: Text
    notice_id: Text | None = None  # the HIS outbox's key: the cloud takes each notice once


class ClinicStoppedAck(NoticeAck):
    """6002's answer: how many orders were put on the refund path (when a hook is wired)."""

    affected_orders: Fen | None = None


class ClinicStopped(Request):
    """6002: a clinic was stopped; the affected paid orders are refunded."""

    trade = Trade.CLINIC_STOPPED
    answer = ClinicStoppedAck
    schedule_id: Text
    reason: Text
    notice_id: Text | None = None


class WindowRefundAck(NoticeAck):
    """6003's answer: the order and its new state (or that the refund was known)."""

    order_no: Text
    state: Text | None = None
    duplicate: bool | None = None


class WindowRefund(Request):
    """6003: a refund made at the hospital window; the cloud marks the order refunded once.

    refund_no absent: one unnamed refund per order; refund_fen absent: all that is left.
    The patient's name and ID card the HIS may add are accepted and never stored."""

    trade = Trade.WINDOW_REFUND
    answer = WindowRefundAck
    order_no: Text
    refund_no: Text | None = None
    refund_fen: Fen | None = None
    refunded_at: Text | None = None
    operator: Text | None = None
    patient_name: Text | None = None
    id_card_no: Text | None = None


class VisitReminder(Request):
    """6004: the day before a booked visit, what the patient needs to find the clinic.

    notice_id is the HIS outbox's key for the notice: the cloud takes each one once."""

    trade = Trade.VISIT_REMINDER
    answer = NoticeAck
    notice_id: Text
    mrn: Text
    order_no: Text
    reg_no: Text | None = None
    visit_date: Day
    period: Text
    start_time: Text | None = None
    dept_name: Text
    doctor_name: Text | None = None
    location: Text | None = None


class NewBill(Request):
    """6005: the HIS added an unpaid bill to a record (the patient may pay it in the app)."""

    trade = Trade.NEW_BILL
    answer = NoticeAck
    notice_id: Text
    mrn: Text
    bill_no: Text
    visit_no: Text | None = None
    dept_name: Text | None = None
    kind: Text | None = None
    amount: Fen
