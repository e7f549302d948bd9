"""In-process stand-ins for the hospital (through the gateway) and a payment channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from cloud_service import accounts, saga
from cloud_service.deps import Deps
from cloud_service.saga import orders, patient
from envelope import Reply
from envelope.messages import Request
from tests.unit.cloud_service.answers import (
    BILLS,
    DIGEST,
    ITEM,
    bill,
    charge,
    exam_report,
    hold,
    insurance,
    lab_report,
    registration,
    report,
    slot_detail,
)

Answer = Reply | Callable[[dict[str, Any]], Reply]

DEPARTMENTS: list[dict[str, Any]] = [
    {"dept_code": "D01", "name": "内科", "parent_code": None, "intro": "", "location": "1楼"},
    {"dept_code": "D0101", "name": "心血管内科", "parent_code": "D01", "intro": "",
     "location": "2楼"},
    {"dept_code": "D05", "name": "眼科", "parent_code": None, "intro": "", "location": "3楼"},
]  # fmt: skip
DOCTORS = [
    {"doctor_code": "DR001", "name": "王建国", "dept_code": "D0101", "title": "主任医师",
     "specialty": "", "level": "EXPERT"},
    {"doctor_code": "DR016", "name": "马超", "dept_code": "D05", "title": "主治医师",
     "specialty": "", "level": "NORMAL"},
]  # fmt: skip


def ok(**body: Any) -> Reply:
    """A successful reply."""
    return Reply("0000", "success", body)


def schedules_between(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Two clinics a day (DR001 of D0101, DR016 of D05) for the days asked, remaining 3."""
    first, last = date.fromisoformat(body["start_date"]), date.fromisoformat(body["end_date"])
    rows = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        for doctor, dept in (("DR001", "D0101"), ("DR016", "D05")):
            rows.append(
                {
                    "schedule_id": f"SC{day:%Y%m%d}{doctor}AM",
                    "date": day.isoformat(),
                    "period": "AM",
                    "dept_code": dept,
                    "dept_name": "科室",
                    "doctor_code": doctor,
                    "doctor_name": "医生",
                    "doctor_title": "主任医师",
                    "level": "EXPERT",
                    "level_name": "专家号",
                    "reg_fee": 100,
                    "diag_fee": 1000,
                    "total": 1100,
                    "capacity": 10,
                    "remaining": 3,
                }
            )
    return rows


def _matches(schedule: dict[str, Any], body: dict[str, Any]) -> bool:
    if body.get("doctor_code"):
        return bool(schedule["doctor_code"] == body["doctor_code"])
    family = {body.get("dept_code")} | {
        d["dept_code"] for d in DEPARTMENTS if d["parent_code"] == body.get("dept_code")
    }
    return schedule["dept_code"] in family


@dataclass
class FakeHospital:
    """Answers trade codes from a table; records every call."""

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    traces: list[tuple[str, str]] = field(default_factory=list)  # (trade code, trace_id)

    def __post_init__(self) -> None:
        defaults: dict[str, Answer] = {
            "1001": ok(
                exists=True,
                patient_id="P1",
                mrn="M0001",
                patient_type="EMPLOYEE",
                insured=True,
                phone="13800000001",
            ),
            "2001": ok(departments=DEPARTMENTS),
            "2002": ok(doctors=DOCTORS),
            "2003": lambda body: ok(schedules=schedules_between(body)),
            "2004": lambda body: ok(
                schedules=[
                    {
                        **{k: s[k] for k in ("schedule_id", "date", "period", "doctor_code")},
                        "remaining": 7,
                    }
                    for s in schedules_between(body)
                    if _matches(s, body)
                ]
            ),
            "2005": lambda body: ok(**slot_detail(body)),
            "2007": lambda body: ok(lock_id=body["lock_id"], order_no="R1", status="RELEASED"),
            "2009": lambda body: ok(
                registrations=[registration({**body, "order_no": "R-HIS-1"}, "BOOKED")]
            ),
            "3001": ok(bills=BILLS, total=1100, bills_digest=DIGEST),
            "3002": lambda body: ok(**bill(body["bill_no"], 600, "PRESCRIPTION"), items=[ITEM]),
            "3003": lambda body: ok(**charge(body)),
            "3005": lambda body: ok(**charge(body)),
            "5001": ok(reports=[report("LR1", "LAB")]),
            "5002": ok(reports=[report("ER1", "EXAM")]),
            "5003": lambda body: ok(report=lab_report(body["report_id"])),
            "5004": lambda body: ok(report=exam_report(body["report_id"])),
            "2006": lambda body: ok(**hold(body)),
            "4004": lambda body: ok(**insurance(body, "PRESETTLED")),
            "4005": lambda body: ok(**insurance(body)),
            "4007": lambda body: ok(**insurance(body)),
            "2008": lambda body: ok(**registration(body)),
            "2010": lambda body: ok(**registration(body)),
        }
        for code, answer in defaults.items():
            self.answers.setdefault(code, [answer])

    def then(self, code: str, *answers: Answer) -> None:
        """Queue answers for a code; the last one repeats."""
        self.answers[code] = list(answers)

    def call(
        self,
        trade_code: str,
        body: dict[str, Any],
        *,
        trace_id: str,
        operator: str = "system",
        channel: str = "APP",
    ) -> Reply:
        """Answer like the gateway would."""
        self.calls.append((trade_code, body))
        self.traces.append((trade_code, trace_id))
        queue = self.answers[trade_code]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(body) if callable(answer) else answer

    def ask(
        self, request: Request, *, trace_id: str, operator: str = "system", channel: str = "APP"
    ) -> Reply:
        """Answer a typed request as ``call`` answers its body (the body sent as the
        envelope client sends it)."""
        body = request.model_dump(mode="json", exclude_none=True)
        return self.call(request.trade, body, trace_id=trace_id, operator=operator, channel=channel)

    def codes(self) -> list[str]:
        """The trade codes called, in order."""
        return [code for code, _ in self.calls]


@dataclass
class FakeTrade:
    """What a channel's query answers."""

    state: str
    amount_fen: int
    transaction_id: str = "WX1"


@dataclass
class FakeChannel:
    """A payment channel that records orders and answers queries."""

    trades: dict[str, FakeTrade] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)

    def create_h5(self, out_trade_no: str, amount_fen: int, description: str) -> dict[str, Any]:
        """Record the order and give a cashier URL."""
        self.trades.setdefault(out_trade_no, FakeTrade("NOTPAY", amount_fen))
        return {"out_trade_no": out_trade_no, "h5_url": f"http://cashier/{out_trade_no}"}

    def query(self, out_trade_no: str) -> FakeTrade:
        """The recorded trade."""
        return self.trades[out_trade_no]

    def close(self, out_trade_no: str) -> None:
        """Close the trade."""
        self.closed.append(out_trade_no)
        self.trades[out_trade_no].state = "CLOSED"


def new_order(deps: Deps, pay_mode: str = "INSURANCE", phone: str = "13800000001") -> str:
    """A registration order of today, locked (CREATED)."""
    user = accounts.register_user(deps, phone)
    bind(deps, user)
    order = patient.create_registration(
        deps,
        user,
        mrn="M0001",
        schedule_id="S1",
        slot_id=None,
        pay_mode=pay_mode,
        channel="WECHAT",
        trace_id="t1",
    )
    return order.order_no


def awaiting_order(deps: Deps, pay_mode: str = "INSURANCE", phone: str = "13800000001") -> str:
    """An order with its cashier open (AWAITING_PAYMENT)."""
    order_no = new_order(deps, pay_mode, phone)
    order = orders.reload(deps, order_no)
    paying = patient.start_payment(deps, order.user_id, order_no)
    assert paying.state == saga.AWAITING_PAYMENT
    return order_no


class FakeSms:
    """The SMS gateway: keeps every code it was asked to text."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_code(self, phone: str, code: str) -> None:
        """Keep the code."""
        self.sent.append((phone, code))

    def last_code(self, phone: str) -> str:
        """The newest code texted to the phone."""
        return [code for to, code in self.sent if to == phone][-1]


def with_fake_sms(app: Any) -> FakeSms:
    """Let the app's sign-ins text through a FakeSms (its deps keep their identity)."""
    deps = app.extensions["cloud_deps"]
    sms = FakeSms()
    assert deps.identity is not None
    app.extensions["cloud_deps"] = replace(deps, identity=replace(deps.identity, sms=sms))
    return sms


def clear_send_limits(app: Any) -> None:
    """Forget the SMS send counters (each test starts its own day of sends)."""
    redis = app.extensions["cloud_deps"].identity.pending
    for key in redis.scan_iter("auth-limits*"):
        redis.delete(key)


def sign_in(client: Any, phone: str) -> str:
    """Sign in by SMS through the API; the access token (the send limits are cleared first:
    each test starts its own day of sends)."""
    deps = client.application.extensions["cloud_deps"]
    clear_send_limits(client.application)
    sent = client.post("/api/v1/auth/sms-codes", json={"phone": phone})
    assert sent.status_code == 202, sent.get_json()
    code = deps.identity.sms.last_code(phone)
    answer = client.post("/api/v1/auth/tokens", json={"grant": "sms", "phone": phone, "code": code})
    assert answer.status_code == 200, answer.get_json()
    return str(answer.get_json()["access_token"])


def bind(
    deps: Deps, user_id: str, id_card_no: str = "110105198001010016", name: str = "张伟"
) -> str:
    """Bind the record the hospital's 1001 answers to the user, as proven (for tests of what
    comes after binding); its mrn."""
    query = {"id_card_no": id_card_no, "name": name}
    patient = deps.hospital.call("1001", query, trace_id="t1").body
    return accounts.save_binding(deps, user_id, patient, id_card_no, name, "").mrn
