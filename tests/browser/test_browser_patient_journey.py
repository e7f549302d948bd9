"""The patient's whole journey in Debian's Chromium against the real stack: sign in, bind,
book and pay a registration by WeChat Pay, pay all bills by Alipay, read a report, and the
refusal of paying a future booking before its day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from envelope import clock
from tests.browser.driver import (
    choose,
    needs_chromium,
    presettle_and_pay,
    schedule_with_room,
    shot,
    sign_in_and_bind,
)

pytestmark = needs_chromium
ZHANG = ("110105198001010016", "张伟")
LI = ("310101199206150027", "李娜")


def _book(page: Any, web_url: str, schedule: dict[str, Any]) -> None:
    page.goto(f"{web_url}/h5/book")
    page.click(f"button.dept[data-code='{schedule['dept_code']}']")
    page.click(f"button.doctor[data-code='{schedule['doctor_code']}']")
    choose(page, "INSURANCE", "WECHAT")
    page.click(f"button.book[data-id='{schedule['schedule_id']}']")
    page.wait_for_url("**/h5/pay?order_no=*")
    page.wait_for_selector("#order-no")


def test_a_patient_books_today_and_pays_by_wechat_after_seeing_the_split(
    page: Any, web_url: str
) -> None:
    sign_in_and_bind(page, web_url, "13600000001", *ZHANG)
    token = page.evaluate("localStorage.getItem('h5_token')")
    schedule = schedule_with_room(web_url, token)
    _book(page, web_url, schedule)
    shot(page, "registration-order")
    assert page.text_content("#state") == "待支付"

    order_no = presettle_and_pay(page, web_url, "registration-wechat")
    assert "支付成功" in str(page.text_content("#state"))
    page.reload()  # the result survives a refresh: it is read from the server again
    page.wait_for_selector("#state[data-state=CONFIRMED]")
    assert page.text_content("#order-no") == order_no
    shot(page, "registration-result")

    page.goto(f"{web_url}/h5/registrations")
    row = page.wait_for_selector(f".registration[data-order='{order_no}']")
    assert "支付成功" in row.text_content()
    assert row.query_selector("button.cancel") is None  # a paid registration: at the window
    shot(page, "registrations")


def test_a_patient_pays_all_bills_by_alipay_and_reads_an_abnormal_lab_value(
    page: Any, web_url: str
) -> None:
    sign_in_and_bind(page, web_url, "13600000002", *ZHANG)
    page.goto(f"{web_url}/h5/bills")
    page.wait_for_selector("#bills .bill")
    assert len(page.query_selector_all("#bills .bill")) == 2
    total = str(page.text_content("#total"))
    assert total.startswith("¥") and "." in total
    page.click("#bills .bill button.items")
    page.wait_for_selector("table.items:not([hidden]) td")
    choose(page, "INSURANCE", "ALIPAY")
    shot(page, "bills")
    page.click("#pay-all")
    page.wait_for_url("**/h5/pay?order_no=*")
    page.wait_for_selector("#order-no")
    presettle_and_pay(page, web_url, "bills-alipay")
    page.goto(f"{web_url}/h5/bills")
    page.wait_for_selector("text=没有待缴费的账单")

    page.goto(f"{web_url}/h5/reports")
    page.click("#reports[data-kind=lab] button.open")
    page.wait_for_selector("#lab-items tr.abnormal")
    flagged = page.query_selector("#lab-items tr.abnormal")
    assert flagged is not None and ("↑" in flagged.text_content() or "↓" in flagged.text_content())
    shot(page, "lab-report")
    page.click(".tabs button[data-kind=exam]")
    page.click("#reports[data-kind=exam] button.open")
    page.wait_for_selector("text=诊断意见")
    shot(page, "exam-report")


def test_paying_a_future_booking_is_refused_with_a_clear_message_and_it_can_be_cancelled(
    page: Any, web_url: str
) -> None:
    sign_in_and_bind(page, web_url, "13600000003", *LI)
    token = page.evaluate("localStorage.getItem('h5_token')")
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    schedule = schedule_with_room(web_url, token, tomorrow)
    _book(page, web_url, schedule)
    page.wait_for_selector("text=预约的号请在就诊当日支付")
    order_no = str(page.text_content("#order-no"))
    page.click("#start")
    refusal = page.wait_for_selector("#msg.error")
    assert "就诊当日" in refusal.text_content() and "2005" in refusal.text_content()
    shot(page, "refused-not-payable-today")

    page.goto(f"{web_url}/h5/registrations")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f".registration[data-order='{order_no}'] button.cancel")
    page.wait_for_selector(f".registration[data-order='{order_no}'] >> text=已取消")
