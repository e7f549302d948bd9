"""Request and response bodies of the patient API. Money is integer fen (``*_fen``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

DATE = r"^\d{4}-\d{2}-\d{2}$"


def _calendar_day(value: str) -> str:
    """Refuse a well-shaped but impossible date such as 0000-00-00."""
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("must be a real calendar date (yyyy-MM-dd)") from exc
    return value


IsoDate = Annotated[str, Field(pattern=DATE), AfterValidator(_calendar_day)]


PHONE = r"^1[3-9]\d{9}$"


class SmsCodeIn(BaseModel):
    """Ask for a sign-in code by SMS."""

    phone: str = Field(pattern=PHONE, description="mainland mobile number")


class SmsCodeOut(BaseModel):
    """The same answer whether or not the system knows the phone."""

    expires_in: int
    resend_after: int


class TokenIn(BaseModel):
    """One of four grants: sms {phone, code}, wechat {code}, alipay {auth_code},
    refresh {refresh_token}."""

    grant: Literal["sms", "wechat", "alipay", "refresh"]
    phone: str | None = Field(default=None, max_length=20)
    code: str | None = Field(default=None, max_length=512)
    auth_code: str | None = Field(default=None, max_length=512)
    refresh_token: str | None = Field(default=None, max_length=512)


class TokenOut(BaseModel):
    """A sign-in's tokens (opaque; the access token lives at most 7200 s)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int
    refresh_token: str
    user_id: str
    entry: str = Field(description="APP, WECHAT or ALIPAY: how the patient came in")
    phone_verified: bool


class PhoneIn(BaseModel):
    """A WeChat or Alipay user proves a phone with the code texted to it."""

    phone: str = Field(pattern=PHONE)
    code: str = Field(min_length=1, max_length=16)


class PhoneOut(BaseModel):
    """The user as they are from now on, and their verified phone (masked)."""

    user_id: str
    phone_masked: str


class BindIn(BaseModel):
    """Bind a hospital record by ID card number and name (proved by the record's phone)."""

    id_card_no: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=32)


class BindPendingOut(BaseModel):
    """The record's phone is not the user's: a code went to it; verify to bind."""

    binding_id: str
    verify: Literal["SMS"] = "SMS"
    phone_masked: str


class VerifyIn(BaseModel):
    """The code texted to the record's phone."""

    code: str = Field(min_length=1, max_length=16)


class PatientOut(BaseModel):
    """A bound hospital record (ID number masked)."""

    mrn: str
    name: str
    id_card_no: str
    patient_type: str
    insured: bool
    relation: str = Field(default="", description="CHILD: a child bound by the guardian")


class PatientList(BaseModel):
    """The records bound to the user."""

    patients: list[PatientOut]


class DepartmentList(BaseModel):
    """Departments from the daily cache."""

    departments: list[dict[str, Any]]


class DoctorQuery(BaseModel):
    """Which doctors to list."""

    dept_code: str | None = None


class DoctorList(BaseModel):
    """Doctors from the daily cache."""

    doctors: list[dict[str, Any]]


class ScheduleQuery(BaseModel):
    """Which schedules to list (at most 14 days at a time)."""

    dept_code: str | None = None
    doctor_code: str | None = None
    start_date: IsoDate
    end_date: IsoDate


class ScheduleList(BaseModel):
    """Schedules from the daily cache with live remaining counts; fees in fen."""

    schedules: list[dict[str, Any]]


class SlotList(BaseModel):
    """A schedule and its numbered slots with their status, asked live."""

    model_config = ConfigDict(extra="allow")

    schedule_id: str
    date: str
    period: str
    remaining: int
    slots: list[dict[str, Any]]


class UnbindOut(BaseModel):
    """The record is no longer bound to the user."""

    mrn: str
    unbound: bool


class RegistrationQuery(BaseModel):
    """Whose registrations (all bound records when mrn is absent), in which clinic days."""

    mrn: str | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None


class RegistrationList(BaseModel):
    """Registrations as the HIS keeps them, with the cloud order's state."""

    registrations: list[dict[str, Any]]


class BillList(BaseModel):
    """Unpaid bills, paid all together with bills_digest; money in fen."""

    mrn: str
    bills: list[dict[str, Any]]
    total_fen: int
    bills_digest: str


class BillDetail(BaseModel):
    """One bill and its items (insurance_class A/B/C, list_code); money in fen."""

    model_config = ConfigDict(extra="allow")

    bill_no: str
    amount: int
    items: list[dict[str, Any]]


class ChargeIn(BaseModel):
    """Pay exactly the bills listed (bill_nos and bills_digest as GET .../bills gave them)."""

    mrn: str
    bill_nos: list[str] = Field(min_length=1)
    bills_digest: str = Field(min_length=1)
    pay_mode: Literal["INSURANCE", "SELF_PAY"]
    channel: Literal["WECHAT", "ALIPAY"]


class ReportQuery(BaseModel):
    """Lab or exam reports."""

    kind: Literal["lab", "exam"] = "lab"


class ReportList(BaseModel):
    """Reports of the last six months, newest first."""

    reports: list[dict[str, Any]]


class ReportDetail(BaseModel):
    """A lab report (items with value, unit, reference_range, abnormal_flag) or an exam
    report (modality, findings, conclusion)."""

    report: dict[str, Any]


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
    bill_nos: list[str] | None = None
    setl_id: str | None
    out_trade_no: str | None
    channel_trade_no: str | None
    cashier_url: str | None
    pay_params: dict[str, Any] | None = Field(
        default=None, description="inside WeChat or Alipay: what the page hands the JS bridge"
    )
    entry: str = "APP"
    result: dict[str, Any] | None
    failure: str | None
    trace_id: str
    history: list[OrderEventOut]


class ErrorOut(BaseModel):
    """Every refusal: a result code and a clear message."""

    result_code: str
    result_msg: str
