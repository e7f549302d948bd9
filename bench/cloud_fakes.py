"""The in-process hospital, channel and SMS gateway bench.cloud_cpu drives the cloud with:
every answer fits its trade code's answer model, so the cloud's reading of it is measured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from envelope import Reply, clock
from envelope.messages import Request

Body = dict[str, Any]
SPLIT = {
    "medfee_sumamt": 1100,
    "fulamt_ownpay_amt": 100,
    "preselfpay_amt": 0,
    "inscp_scp_amt": 1000,
    "hifp_pay": 700,
    "acct_pay": 300,
    "psn_cash_pay": 100,
}
FEES = {"reg_fee": 100, "diag_fee": 1000, "total": 1100}
ITEMS = [
    {
        "item_code": "GH01",
        "name": "挂号费",
        "spec": "",
        "qty": 1,
        "unit_price": 100,
        "amount": 100,
        "insurance_class": "C",
        "list_code": "",
    },
    {
        "item_code": "ZC01",
        "name": "诊查费",
        "spec": "",
        "qty": 1,
        "unit_price": 1000,
        "amount": 1000,
        "insurance_class": "A",
        "list_code": "",
    },
]


def _hold(body: Body, status: str) -> Body:
    today = clock.today().isoformat()
    return {
        "lock_id": "L-" + body["order_no"],
        "order_no": body["order_no"],
        "status": status,
        "expires_at": clock.iso(clock.now()) if status == "LOCKED" else None,
        "mrn": body.get("mrn", "M0001"),
        "schedule_id": "S1",
        "slot_id": "S1-01",
        "seq_no": 1,
        "start_time": "08:00",
        "end_time": "08:10",
        "visit_date": today,
        "fees": FEES,
    }


def _confirmed(body: Body) -> Body:
    return {
        **_hold(body, "CONFIRMED"),
        "period": "AM",
        "dept_code": "D0101",
        "doctor_code": "DR001",
        "items": ITEMS,
        "reg_no": "REG-" + body["order_no"],
        "visit_no": "V-" + body["order_no"],
        "queue_no": 1,
        "location": "门诊2楼",
        "settlement": body["settlement"],
    }


def _slots(body: Body) -> Body:
    return {
        "schedule_id": body["schedule_id"],
        "date": clock.today().isoformat(),
        "period": "AM",
        "dept_code": "D0101",
        "dept_name": "心血管内科",
        "doctor_code": "DR001",
        "doctor_name": "王建国",
        "doctor_title": "主任医师",
        "level": "EXPERT",
        "level_name": "专家号",
        **FEES,
        "capacity": 100000,
        "remaining": 100000,
        "slots": [],
    }


def _insured(body: Body, status: str) -> Body:
    settled = status == "SETTLED"
    return {
        "order_no": body["order_no"],
        "status": status,
        "setl_id": "SETL-" + body["order_no"] if settled else "",
        "mdtrt_id": "MD-" + body["order_no"],
        "split": SPLIT,
    }


ANSWERS: dict[str, Callable[[Body], Body]] = {
    "2005": _slots,
    "2006": lambda body: _hold(body, "LOCKED"),
    "2007": lambda body: {"lock_id": body["lock_id"], "order_no": "?", "status": "RELEASED"},
    "2008": _confirmed,
    "4004": lambda body: _insured(body, "PRESETTLED"),
    "4005": lambda body: _insured(body, "SETTLED"),
    "4007": lambda body: _insured(body, "SETTLED"),
}


class BenchHospital:
    """A HospitalPort answering what the registration path asks."""

    def call(
        self,
        trade_code: str,
        body: Body,
        *,
        trace_id: str,
        operator: str = "system",
        channel: str = "APP",
    ) -> Reply:
        """The code's answer to the body."""
        return Reply("0000", "success", ANSWERS[trade_code](body), {"trade_code": trade_code})

    def ask(
        self, request: Request, *, trace_id: str, operator: str = "system", channel: str = "APP"
    ) -> Reply:
        """The request's answer (the body sent as the client sends it)."""
        body = request.model_dump(mode="json", exclude_none=True)
        return self.call(request.trade, body, trace_id=trace_id)


class BenchChannel:
    """A channel whose every cashier opens and whose paid trades are looked up as paid."""

    def __init__(self) -> None:
        self.paid_trades: set[str] = set()

    def create_h5(self, out_trade_no: str, amount_fen: int, description: str) -> Body:
        """A cashier URL."""
        return {"out_trade_no": out_trade_no, "h5_url": f"http://cashier/{out_trade_no}"}

    def paid(self, out_trade_no: str) -> None:
        """The payer paid."""
        self.paid_trades.add(out_trade_no)


class BenchSms:
    """Keeps the last code texted to each phone."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def send_code(self, phone: str, code: str) -> None:
        """Keep it."""
        self.codes[phone] = code
