"""What the browser tests share: where Chromium and the artefacts are, and the patient's
steps on the H5 pages."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from devstack.stack import ROOT
from envelope import clock

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
# console staff of the browser tests: name -> (role, password)
STAFF = {"ops": ("OPERATOR", "ops-password"), "viewer": ("VIEWER", "viewer-password")}
# what makes the browser tier run, named in its skip reasons (.ci/run does it)
INSTALL_CHROMIUM = "apt-get install chromium fonts-wqy-zenhei"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is not installed ({CHROMIUM}): {INSTALL_CHROMIUM}",
)


def require_browser() -> ModuleType:
    """playwright's sync API, or skip with the reason."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed ({CHROMIUM}): {INSTALL_CHROMIUM}")
    return pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: make venv (pyproject's dev)"
    )


def shot(page: Any, name: str) -> None:
    """Save a screenshot of the page as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in_and_bind(page: Any, base: str, phone: str, id_card_no: str, name: str) -> str:
    """Sign in on /h5/, bind a record on /h5/bind; returns the mrn the page chose."""
    page.goto(f"{base}/h5/")
    page.evaluate("localStorage.clear()")
    page.goto(f"{base}/h5/")
    page.fill("#phone", phone)
    page.click("#signin-form button")
    page.wait_for_selector("#home:not([hidden])")
    page.goto(f"{base}/h5/bind")
    page.fill("#name", name)
    page.fill("#id_card_no", id_card_no)
    page.click("#bind-form button")
    page.wait_for_selector("#msg.info")
    mrn = page.evaluate("localStorage.getItem('h5_mrn')")
    assert mrn, "binding chose no current record"
    return str(mrn)


def schedule_with_room(base: str, token: str, day: str | None = None) -> dict[str, Any]:
    """A schedule of the day (today by default) with free slots, and its doctor's department."""
    headers = {"Authorization": f"Bearer {token}"}
    day = day or clock.today().isoformat()
    found = requests.get(
        f"{base}/api/v1/schedules",
        params={"start_date": day, "end_date": day},
        headers=headers,
        timeout=30,
    ).json()["schedules"]
    schedule = next(s for s in found if s["remaining"] > 1)
    doctors = requests.get(f"{base}/api/v1/doctors", headers=headers, timeout=30).json()["doctors"]
    doctor = next(d for d in doctors if d["doctor_code"] == schedule["doctor_code"])
    return {**schedule, "dept_code": doctor["dept_code"]}


def choose(page: Any, pay_mode: str, channel: str) -> None:
    """Pick the settlement and the payment channel on a page that offers them."""
    page.check(f"input[name=pay_mode][value={pay_mode}]")
    page.check(f"input[name=channel][value={channel}]")


def presettle_and_pay(page: Any, base: str, label: str) -> str:
    """On /h5/pay: pre-settle, see the split, pay at the simulator's cashier, return to the
    result page and wait for CONFIRMED; returns the order_no."""
    order_no = str(page.text_content("#order-no"))
    page.click("#start")
    page.wait_for_selector("#split-card:not([hidden]) td[data-key=psn_cash_pay]")
    shot(page, f"{label}-split")
    page.click("#cashier")
    page.wait_for_selector("text=确认支付")
    shot(page, f"{label}-cashier")
    page.click("text=确认支付")
    page.wait_for_selector("text=支付成功")
    page.goto(f"{base}/h5/result?order_no={order_no}")
    page.wait_for_selector("#state[data-state=CONFIRMED]", timeout=45_000)
    return order_no
