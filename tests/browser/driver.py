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
from tests.e2e.patient import sms_code, sms_count

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
# console staff of the browser tests: name -> (role, password)
STAFF = {"ops": ("OPERATOR", "ops-password"), "viewer": ("VIEWER", "viewer-password")}
# what makes the browser tier run, named in its skip reasons (.ci/run does it)
INSTALL_CHROMIUM = "apt-get install chromium fonts-wqy-zenhei"
# the demo records' phones (DESIGN §11): a code to bind them goes there
RECORD_PHONES = {"110105198001010016": "13800000001", "310101199206150027": "13800000002"}
PHONE = {"width": 375, "height": 812}  # the screenshots are a phone's

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


def _code_after(page: Any, sms_url: str, phone: str, click: str) -> str:
    """Press the button that texts a code to ``phone``; the code the phone received."""
    before = sms_count(sms_url, phone)
    page.click(click)
    return sms_code(sms_url, phone, after=before)


def sign_in_by_sms(page: Any, base: str, sms_url: str, phone: str) -> None:
    """Sign in on /h5/ as a patient in a plain browser: phone, 获取验证码, the code, 登录."""
    page.goto(f"{base}/h5/")
    page.evaluate("localStorage.clear()")
    page.goto(f"{base}/h5/")
    page.fill("#phone", phone)
    code = _code_after(page, sms_url, phone, "#send-code")
    page.fill("#code", code)
    page.click("#signin-submit")
    page.wait_for_selector("#home:not([hidden])")


def sign_in_by_app(page: Any, base: str, app: str, user: str, label: str) -> None:
    """Sign in through 微信登录 / 支付宝登录: the simulator's authorize page, a test user, and
    back to /h5/, signed in."""
    page.goto(f"{base}/h5/")
    page.evaluate("localStorage.clear()")
    page.goto(f"{base}/h5/")
    shot(page, "sign-in")
    page.click(f"#entry-{app}")
    page.wait_for_selector(f"button:has-text('{user}')")
    shot(page, f"{label}-authorize")
    page.click(f"button:has-text('{user}')")
    page.wait_for_selector("#home:not([hidden])")
    assert page.evaluate("localStorage.getItem('h5_entry')") == app.upper()


def verify_phone(page: Any, sms_url: str, phone: str, label: str) -> None:
    """A WeChat / Alipay user, asked on /h5/ to verify a phone, does so by its code."""
    page.wait_for_selector("#phone-card:not([hidden])")
    page.fill("#verify-phone", phone)
    code = _code_after(page, sms_url, phone, "#verify-phone-send")
    page.fill("#verify-phone-code", code)
    shot(page, f"{label}-verify-phone")
    page.click("#phone-form button[type=submit]")
    page.wait_for_selector("#phone-card[hidden]", state="attached")


def bind(page: Any, base: str, sms_url: str, id_card_no: str, name: str, label: str) -> str:
    """Bind a record on /h5/bind, by the code texted to the record's phone when asked;
    returns the mrn the page chose."""
    page.goto(f"{base}/h5/bind")
    page.wait_for_selector("#patients:not(:has-text('加载中'))")
    page.fill("#name", name)
    page.fill("#id_card_no", id_card_no)
    before = sms_count(sms_url, RECORD_PHONES.get(id_card_no, ""))
    page.click("#bind-form button")
    page.wait_for_selector("#msg.info")
    if page.is_visible("#verify-card"):
        phone = RECORD_PHONES[id_card_no]
        masked = f"{phone[:3]}****{phone[-4:]}"
        assert f"验证码已发送至 {masked}" in str(page.text_content("#verify-sent"))
        shot(page, f"{label}-bind-verify")
        page.fill("#bind-code", sms_code(sms_url, phone, after=before))
        page.click("#verify-form button")
        page.wait_for_selector("#msg.info >> text=已绑定")
    mrn = page.evaluate("localStorage.getItem('h5_mrn')")
    assert mrn, "binding chose no current record"
    return str(mrn)


def sign_in_and_bind(
    page: Any, base: str, sms_url: str, phone: str, id_card_no: str, name: str
) -> str:
    """Sign in by SMS on /h5/, bind a record on /h5/bind; returns the mrn the page chose."""
    sign_in_by_sms(page, base, sms_url, phone)
    return bind(page, base, sms_url, id_card_no, name, f"sms-{phone[-4:]}")


def schedule_with_room(
    base: str, token: str, day: str | None = None, nth_department: int = 0
) -> dict[str, Any]:
    """A schedule of the day (today by default) with free slots, and its doctor's department:
    in the ``nth_department``-th department that has one (a patient registers once a
    department a day, so two tests booking for one patient take different departments)."""
    headers = {"Authorization": f"Bearer {token}"}
    day = day or clock.today().isoformat()
    found = requests.get(
        f"{base}/api/v1/schedules",
        params={"start_date": day, "end_date": day},
        headers=headers,
        timeout=30,
    ).json()["schedules"]
    doctors = requests.get(f"{base}/api/v1/doctors", headers=headers, timeout=30).json()["doctors"]
    dept_of = {d["doctor_code"]: d["dept_code"] for d in doctors}
    first: dict[str, dict[str, Any]] = {}
    for schedule in found:
        dept = dept_of.get(schedule["doctor_code"])
        if dept and schedule["remaining"] > 1 and dept not in first:
            first[dept] = {**schedule, "dept_code": dept}
    return list(first.values())[nth_department]


def choose(page: Any, pay_mode: str, channel: str) -> None:
    """Pick the settlement and the payment channel on a page that offers them."""
    page.check(f"input[name=pay_mode][value={pay_mode}]")
    page.check(f"input[name=channel][value={channel}]")


def presettle_and_pay(page: Any, base: str, label: str, bridge: str = "") -> str:
    """On /h5/pay: pre-settle, see the split, pay (at the simulator's cashier, or on the
    WeChat / Alipay bridge's sheet), come back to the result page and wait for CONFIRMED;
    returns the order_no."""
    order_no = str(page.text_content("#order-no"))
    page.click("#start")
    page.wait_for_selector("#split-card:not([hidden]) td[data-key=psn_cash_pay]")
    shot(page, f"{label}-split")
    page.click("#cashier")
    confirm = {"wechat": "#wxsim-pay-sheet >> text=确认支付", "alipay": "text=确认付款"}.get(
        bridge, "text=确认支付"
    )
    page.wait_for_selector(confirm)
    shot(page, f"{label}-cashier")
    page.click(confirm)
    page.wait_for_url(f"**/h5/result?order_no={order_no}*", timeout=30_000)
    page.wait_for_selector("#state[data-state=CONFIRMED]", timeout=45_000)
    assert page.url.startswith(f"{base}/h5/result")
    return order_no
