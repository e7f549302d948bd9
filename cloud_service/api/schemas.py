"""Request and response bodies of the patient API. Money is integer fen (``*_fen``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class UserIn(BaseModel):
    """Sign in (or up) with a phone number."""

    phone: str = Field(pattern=r"^1\d{10}$", description="mainland mobile number")


class UserOut(BaseModel):
    """The app user and the bearer token for every later call."""

    user_id: str
    token: str


class BindIn(BaseModel):
    """Bind a hospital record by ID card number and name."""

    id_card_no: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=32)
    phone: str = Field(default="", max_length=20)


class PatientOut(BaseModel):
    """A bound hospital record (ID number masked)."""

    mrn: str
    name: str
    id_card_no: str
    patient_type: str
    insured: bool


class PatientList(BaseModel):
    """The records bound to the user."""

    patients: list[PatientOut]


class DepartmentList(BaseModel):
    """Departments from the daily cache."""

    departments: list[dict[str, Any]]


class ScheduleQuery(BaseModel):
    """Which schedules to list."""

    dept_code: str | None = None
    start_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    end_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


class ScheduleList(BaseModel):
    """Schedules with live remaining counts; fees in fen."""

    schedules: list[dict[str, Any]]


class RegistrationIn(BaseModel):
    """Lock today's slot (or book a future one) and open an order."""

    mrn: str
    schedule_id: str
    slot_id: str | None = None
    pay_mode: Literal["INSURANCE", "SELF_PAY"]
    channel: Literal["WECHAT", "ALIPAY"]


class OrderEventOut(BaseModel):
    """One state change."""

    from_state: str
    to_state: str
    note: str
    at: str


class OrderOut(BaseModel):
    """An order, where its saga stands, and its history."""

    order_no: str
    kind: str
    state: str
    pay_mode: str
    channel: str
    mrn: str
    schedule_id: str | None
    lock_id: str | None
    visit_date: str | None
    total_fen: int
    cash_fen: int
    split: dict[str, int] | None
    setl_id: str | None
    out_trade_no: str | None
    channel_trade_no: str | None
    cashier_url: str | None
    result: dict[str, Any] | None
    failure: str | None
    trace_id: str
    history: list[OrderEventOut]


class ErrorOut(BaseModel):
    """Every refusal: a result code and a clear message."""

    result_code: str
    result_msg: str
