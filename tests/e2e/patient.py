"""A patient using the app, as the e2e tests drive it: plain HTTP against the public API."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import requests

from envelope import clock


def sms_code(sms_url: str, phone: str, after: int = 0, seconds: float = 10) -> str:
    """The newest code the SMS gateway simulator texted to ``phone`` (its ``after``-th
    message or later), read from ``GET /admin/messages`` as a patient reads their phone."""
    deadline = time.monotonic() + seconds
    while True:
        answer = requests.get(f"{sms_url}/admin/messages", params={"phone": phone}, timeout=10)
        messages = answer.json()["messages"] if answer.ok else []
        if len(messages) > after:
            return str(messages[-1]["params"]["code"])
        assert time.monotonic() < deadline, f"no code reached {phone[:3]}****{phone[-4:]}"
        time.sleep(0.1)


def sms_count(sms_url: str, phone: str) -> int:
    """How many messages the SMS gateway simulator has texted to ``phone``."""
    answer = requests.get(f"{sms_url}/admin/messages", params={"phone": phone}, timeout=10)
    return len(answer.json()["messages"]) if answer.ok else 0


def past_send_limit(send: Callable[[], requests.Response]) -> requests.Response:
    """Send until the answer is not 429: a code just went to that phone, and development
    allows one a phone a second (SMS_CODE_RESEND_SECONDS)."""
    for _ in range(50):
        answer = send()
        if answer.status_code != 429:
            return answer
        time.sleep(0.3)
    return answer


@dataclass
class Patient:
    """One app user with a bearer token, signed in with the code texted to their phone."""

    base_url: str
    phone: str
    sms_url: str
    session: requests.Session = field(default_factory=requests.Session)
    refresh_token: str = ""

    def ask_code(self, phone: str | None = None) -> str:
        """Ask the cloud for a sign-in code and read it at the SMS gateway."""
        phone = phone or self.phone
        before = sms_count(self.sms_url, phone)
        sent = past_send_limit(lambda: self.call("POST", "/auth/sms-codes", json={"phone": phone}))
        assert sent.status_code == 202, sent.text
        return sms_code(self.sms_url, phone, before)

    def sign_in(self) -> None:
        """Sign in by SMS code and keep the tokens."""
        code = self.ask_code()
        answer = self.session.post(
            f"{self.base_url}/api/v1/auth/tokens",
            json={"grant": "sms", "phone": self.phone, "code": code},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        self.use(answer.json())

    def use(self, tokens: dict[str, Any]) -> None:
        """Send the access token from now on, keeping the refresh token."""
        self.session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        self.refresh_token = str(tokens["refresh_token"])

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Any API call with the token."""
        return self.session.request(method, f"{self.base_url}/api/v1{path}", timeout=30, **kwargs)

    def bind(self, id_card_no: str, name: str, record_phone: str = "") -> dict[str, Any]:
        """Bind a hospital record; returns the patient. When the record's phone is not this
        user's, the code texted to ``record_phone`` (the test plays its owner) is given."""
        before = sms_count(self.sms_url, record_phone) if record_phone else 0
        body = {"id_card_no": id_card_no, "name": name}
        answer = past_send_limit(lambda: self.call("POST", "/patients", json=body))
        if answer.status_code == 202 and record_phone:
            pending = answer.json()
            code = sms_code(self.sms_url, record_phone, before)
            answer = self.call(
                "POST", f"/patients/{pending['binding_id']}/verify", json={"code": code}
            )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def todays_schedule(self, mrn: str = "") -> dict[str, Any]:
        """Some schedule of today with a free slot; with ``mrn``, in a department where that
        patient holds no registration today (one a department a day, 2020 otherwise)."""
        today = clock.today().isoformat()
        answer = self.call("GET", "/schedules", params={"start_date": today, "end_date": today})
        assert answer.status_code == 200, answer.text
        taken = self._departments_taken(mrn, today) if mrn else set()
        free = [
            s
            for s in answer.json()["schedules"]
            if s["remaining"] > 0 and s.get("dept_code") not in taken
        ]
        assert free, "the seed has no schedule with a free slot today"
        return dict(free[0])

    def _departments_taken(self, mrn: str, day: str) -> set[str]:
        answer = self.call(
            "GET", "/registrations", params={"mrn": mrn, "start_date": day, "end_date": day}
        )
        assert answer.status_code == 200, answer.text
        active = ("LOCKED", "BOOKED", "CONFIRMED")
        rows = answer.json()["registrations"]
        return {str(r.get("dept_code")) for r in rows if r.get("status") in active}

    def register(
        self, mrn: str, schedule_id: str, pay_mode: str, channel: str = "WECHAT"
    ) -> dict[str, Any]:
        """Lock the slot and open the order."""
        answer = self.call(
            "POST",
            "/registrations",
            json={
                "mrn": mrn,
                "schedule_id": schedule_id,
                "pay_mode": pay_mode,
                "channel": channel,
            },
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def pay(self, order_no: str) -> dict[str, Any]:
        """Start paying; the answer carries the cashier URL."""
        answer = self.call("POST", f"/orders/{order_no}/pay")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def wait_for_state(
        self,
        order_no: str,
        state: str | Collection[str],
        seconds: float = 30,
        interval: float = 0.2,
    ) -> dict[str, Any]:
        """Poll the order every ``interval`` s until it reaches ``state`` (or one of them)."""
        wanted = {state} if isinstance(state, str) else set(state)
        deadline = time.monotonic() + seconds
        order: dict[str, Any] = {}
        while time.monotonic() < deadline:
            order = self.call("GET", f"/orders/{order_no}").json()
            if order.get("state") in wanted:
                return order
            time.sleep(interval)
        raise AssertionError(f"order stayed {order.get('state')}: {order}")


def pay_at_cashier(cashier_url: str) -> None:
    """What the patient does on the channel's cashier page: open it, confirm the payment."""
    page = requests.get(cashier_url, timeout=10)  # Alipay's wap.pay link redirects to it
    assert page.status_code == 200, page.text
    answer = requests.post(f"{page.url.split('?')[0]}/pay", timeout=10)
    assert answer.status_code == 200, answer.text
