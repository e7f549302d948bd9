"""In-process stand-ins for the hospital (through the gateway) and a payment channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from envelope import Reply

Answer = Reply | Callable[[dict[str, Any]], Reply]

SPLIT = {
    "medfee_sumamt": 1100,
    "fulamt_ownpay_amt": 100,
    "preselfpay_amt": 0,
    "inscp_scp_amt": 1000,
    "hifp_pay": 700,
    "acct_pay": 300,
    "psn_cash_pay": 100,
}


def ok(**body: Any) -> Reply:
    """A successful reply."""
    return Reply("0000", "success", body)


@dataclass
class FakeHospital:
    """Answers trade codes from a table; records every call."""

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        defaults: dict[str, Answer] = {
            "1001": ok(
                exists=True, patient_id="P1", mrn="M0001", patient_type="EMPLOYEE", insured=True
            ),
            "2001": ok(departments=[{"dept_code": "D01", "name": "内科"}]),
            "2003": ok(schedules=[{"schedule_id": "S1", "remaining": 3, "total": 1100}]),
            "2006": lambda body: ok(
                lock_id="L1",
                status="LOCKED",
                expires_at="2099-01-01T00:00:00+08:00",
                fees={"reg_fee": 100, "diag_fee": 1000, "total": 1100},
            ),
            "4004": ok(split=SPLIT),
            "4005": ok(setl_id="SETL1", split=SPLIT),
            "4007": ok(status="SETTLED", setl_id="SETL1", split=SPLIT),
            "2008": ok(reg_no="REG1", visit_no="V1", queue_no=1, location="门诊2楼"),
            "2010": ok(status="CONFIRMED", reg_no="REG1"),
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
        queue = self.answers[trade_code]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return answer(body) if callable(answer) else answer

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
