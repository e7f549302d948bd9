"""The patient's whole journey in Debian's Chromium against the real stack, by each entry:
SMS sign-in in a plain browser (pays by the H5 / wap cashiers and comes back to the result
page), WeChat (the simulator's authorize page, a phone verified, 张伟 bound by the code sent
to his record's phone, paid by JSAPI on the bridge's sheet) and Alipay (likewise, paid by
tradePay); a report; and the refusal of paying a future booking before its day."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from devstack.stack import Stack
from envelope import clock
from tests.browser.driver import (
    bind,
    choose,
    needs_chromium,
    presettle_and_pay,
    schedule_with_room,
    shot,
    sign_in_and_bind,
    sign_in_by_app,
    verify_phone,
)

pytestmark = needs_chromium
ZHANG = ("110105198001010016", "张伟")
LI = ("310101199206150027", "李娜")


def _book(page: Any, web_url: str, schedule: dict[str, Any], channel: str = "WECHAT") -> None:
    page.goto(f"{web_url}/h5/book")
    page.click(f"button.dept[data-code='{schedule['dept_code']}']")
    page.click(f"button.doctor[data-code='{schedule['doctor_code']}']")
    choose(page, "INSURANCE", channel)
    shot(page, f"book-{channel.lower()}")
    page.click(f"button.book[data-id='{schedule['schedule_id']}']")
    page.wait_for_url("**/h5/pay?order_no=*")
    page.wait_for_selector("#order-no")


def _no_english(page: Any, selector: str = "main") -> None:
    """What the patient reads holds no Latin words (codes, English messages); a single
    letter, as in 门诊楼2层A区, is a place's name."""
    words = re.findall(r"[A-Za-z][A-Za-z_]+", str(page.inner_text(selector)))
    assert not words, f"English on a patient's page: {words}"


def test_a_patient_signs_in_by_sms_books_today_and_pays_by_wechat_h5(
    page: Any, web_url: str, stack: Stack
) -> None:
    sign_in_and_bind(page, web_url, stack.url("sms"), "13600000001", *ZHANG)
    shot(page, "sms-bound")
    spent = page.evaluate("localStorage.getItem('h5_refresh')")
    page.evaluate("localStorage.setItem('h5_token', 'expired-or-revoked')")
    page.goto(f"{web_url}/h5/")  # 1003: the page refreshes once and carries on
    page.wait_for_selector("#current >> text=张伟")
    token = page.evaluate("localStorage.getItem('h5_token')")
    assert (
        token != "expired-or-revoked"
        and page.evaluate("localStorage.getItem('h5_refresh')") != spent
    )
    schedule = schedule_with_room(web_url, token)
    _book(page, web_url, schedule)
    shot(page, "registration-order")
    assert page.text_content("#state") == "待支付"

    order_no = presettle_and_pay(page, web_url, "registration-wechat-h5")
    assert "支付成功" in str(page.text_content("#state"))
    page.reload()  # the result survives a refresh: it is read from the server again
    page.wait_for_selector("#state[data-state=CONFIRMED]")
    assert page.text_content("#order-no") == order_no
    shot(page, "registration-result")

    page.goto(f"{web_url}/h5/registrations")
    row = page.wait_for_selector(f".registration[data-order='{order_no}']")
    assert "支付成功" in row.text_content()
    assert schedule["doctor_code"] not in row.text_content()  # names, never codes
    assert row.query_selector("button.cancel") is None  # a paid registration: at the window
    _no_english(page)
    shot(page, "registrations")


def test_a_wechat_user_verifies_a_phone_binds_by_the_records_code_and_pays_by_jsapi(
    page: Any, web_url: str, stack: Stack
) -> None:
    sms = stack.url("sms")
    sign_in_by_app(page, web_url, "wechat", "微信用户C", "wechat")
    verify_phone(page, sms, "13600000021", "wechat")
    shot(page, "wechat-home")
    bind(page, web_url, sms, *ZHANG, label="wechat")
    shot(page, "wechat-bound")
    token = page.evaluate("localStorage.getItem('h5_token')")
    _book(page, web_url, schedule_with_room(web_url, token, nth_department=1))
    assert page.is_hidden("input[name=channel][value=ALIPAY]")  # inside WeChat: WeChat Pay
    order_no = presettle_and_pay(page, web_url, "registration-wechat-jsapi", bridge="wechat")
    assert page.text_content("#state") == "支付成功"
    _no_english(page, "#detail")
    shot(page, "wechat-result")

    page.goto(f"{web_url}/h5/")
    page.click("#signout")
    page.wait_for_selector("#signin:not([hidden])")
    assert page.evaluate("localStorage.getItem('h5_token')") is None
    page.goto(f"{web_url}/h5/result?order_no={order_no}")
    page.wait_for_url("**/h5/?next=*")  # signed out: the pages ask to sign in again


def test_an_alipay_user_pays_all_bills_by_trade_pay_and_reads_an_abnormal_lab_value(
    page: Any, web_url: str, stack: Stack
) -> None:
    sms = stack.url("sms")
    sign_in_by_app(page, web_url, "alipay", "支付宝用户C", "alipay")
    verify_phone(page, sms, "13600000022", "alipay")
    bind(page, web_url, sms, *ZHANG, label="alipay")
    page.goto(f"{web_url}/h5/bills")
    page.wait_for_selector("#bills .bill")
    assert len(page.query_selector_all("#bills .bill")) == 2
    total = str(page.text_content("#total"))
    assert total.startswith("¥") and "." in total
    page.click("#bills .bill button.items")
    page.wait_for_selector("table.items:not([hidden]) td")
    choose(page, "INSURANCE", "ALIPAY")
    _no_english(page, "#bills .bill > .row")  # the drugs' specs (100mg*30片) are their names
    shot(page, "bills")
    page.click("#pay-all")
    page.wait_for_url("**/h5/pay?order_no=*")
    page.wait_for_selector("#order-no")
    presettle_and_pay(page, web_url, "bills-alipay-tradepay", bridge="alipay")
    shot(page, "alipay-result")
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


def test_paying_a_future_booking_is_refused_in_chinese_and_it_can_be_cancelled(
    page: Any, web_url: str, stack: Stack
) -> None:
    sign_in_and_bind(page, web_url, stack.url("sms"), "13600000003", *LI)
    token = page.evaluate("localStorage.getItem('h5_token')")
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    schedule = schedule_with_room(web_url, token, tomorrow)
    _book(page, web_url, schedule)
    page.wait_for_selector("text=预约的号请在就诊当日支付")
    order_no = str(page.text_content("#order-no"))
    page.click("#start")
    refusal = page.wait_for_selector("#msg.error")
    assert "就诊当日" in refusal.text_content() and "2005" in refusal.text_content()
    _no_english(page, "#msg")
    shot(page, "refused-not-payable-today")

    page.goto(f"{web_url}/h5/registrations")
    page.wait_for_selector(f".registration[data-order='{order_no}'] button.cancel")
    _no_english(page)
    shot(page, "registrations-unpaid")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f".registration[data-order='{order_no}'] button.cancel")
    page.wait_for_selector(f".registration[data-order='{order_no}'] >> text=已取消")
    shot(page, "registration-cancelled")


def test_a_forged_wechat_callback_is_refused_in_chinese_on_the_sign_in_page(
    page: Any, web_url: str
) -> None:
    page.goto(f"{web_url}/h5/")
    page.evaluate("localStorage.clear()")
    page.goto(f"{web_url}/h5/entry/wechat/callback?code=STOLEN&state=forged-state-0123456789")
    refusal = page.wait_for_selector("#entry-error")
    assert "重新登录" in refusal.text_content() and "STOLEN" not in page.content()
    assert page.evaluate("localStorage.getItem('h5_token')") is None
    shot(page, "refused-forged-callback")
