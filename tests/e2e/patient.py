"""A patient using the app, as the e2e tests drive it: plain HTTP against the public API."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import requests

from envelope import clock


@dataclass
class Patient:
    """One app user with a bearer token."""

    base_url: str
    phone: str
    session: requests.Session = field(default_factory=requests.Session)

    def sign_in(self) -> None:
        """POST /users and keep the token."""
        answer = self.session.post(
            f"{self.base_url}/api/v1/users", json={"phone": self.phone}, timeout=10
        )
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Any API call with the token."""
        return self.session.request(method, f"{self.base_url}/api/v1{path}", timeout=30, **kwargs)

    def bind(self, id_card_no: str, name: str) -> dict[str, Any]:
        """Bind a hospital record; returns the patient."""
        answer = self.call("POST", "/patients", json={"id_card_no": id_card_no, "name": name})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def todays_schedule(self) -> dict[str, Any]:
        """Some schedule of today with a free slot."""
        today = clock.today().isoformat()
        answer = self.call("GET", "/schedules", params={"start_date": today, "end_date": today})
        assert answer.status_code == 200, answer.text
        free = [s for s in answer.json()["schedules"] if s["remaining"] > 0]
        assert free, "the seed has no schedule with a free slot today"
        return dict(free[0])

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
