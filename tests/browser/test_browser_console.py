"""The operations console in Debian's Chromium: staff sign-in by role, an order's timeline
across the zones, a window refund recorded by an operator, and the reconciliation page's
chart and repair button."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from devstack.stack import Stack
from envelope import clock
from servicekit.db import make_engine, session_factory
from tests.browser.driver import STAFF, needs_chromium, schedule_with_room, shot
from tests.e2e.patient import Patient, pay_at_cashier

pytestmark = needs_chromium


def _confirmed_order(web_url: str, sms_url: str) -> dict[str, Any]:
    """A registration paid by WeChat and CONFIRMED, made through the API."""
    patient = Patient(web_url, "13800000003", sms_url)  # 王强's own phone
    patient.sign_in()
    mrn = patient.bind("440304197503200035", "王强")["mrn"]
    token = str(patient.session.headers["Authorization"]).removeprefix("Bearer ")
    schedule = schedule_with_room(web_url, token)
    order = patient.register(mrn, schedule["schedule_id"], "SELF_PAY")
    pay_at_cashier(patient.pay(order["order_no"])["cashier_url"])
    return patient.wait_for_state(order["order_no"], "CONFIRMED", 45)


def _sign_in(page: Any, web_url: str, name: str) -> None:
    page.goto(f"{web_url}/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", STAFF[name][1])
    page.click("#login button")
    page.wait_for_selector("#staff")


def test_an_operator_sees_the_timeline_across_zones_and_records_a_window_refund(
    page: Any, web_url: str, stack: Stack
) -> None:
    order = _confirmed_order(web_url, stack.url("sms"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{web_url}/console/orders")
    assert "/console/login?next=" in page.url  # not signed in: to the sign-in page
    _sign_in(page, web_url, "ops")
    page.fill("#search input[name=order_no]", order["order_no"])
    page.click("#search button")
    page.click(f"#orders a:text('{order['order_no']}')")
    page.wait_for_selector("#timeline")
    assert page.query_selector("#audit-note") is None
    assert page.query_selector_all("#timeline tr.zone-cloud")
    gateway_rows = page.query_selector_all("#timeline tr.zone-gateway")
    assert any("2008" in row.text_content() for row in gateway_rows)  # the HIS confirm
    shot(page, "console-timeline")

    yuan, fen = divmod(order["total_fen"], 100)
    page.fill("#window-refund input[name=refund_no]", "WIN-0001")
    page.fill("#window-refund input[name=amount_yuan]", f"{yuan}.{fen:02d}")
    page.fill("#window-refund input[name=reason]", "患者要求退号")
    page.click("#window-refund button")
    page.wait_for_selector("#message")
    assert page.text_content("#order-state") == "已退款"
    assert "console window_refund by ops" in str(page.text_content("#timeline")) or (
        "recorded_by" in str(page.text_content("#timeline"))
    )
    shot(page, "console-window-refund")


def test_a_viewer_reads_and_an_operator_reconciles_and_repairs_a_day(
    page: Any, web_url: str, browser_context: Any, stack: Stack
) -> None:
    today = clock.today().isoformat()
    browser_context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, web_url, "viewer")
    page.goto(f"{web_url}/console/insurance")
    page.wait_for_selector("#settled")
    shot(page, "console-insurance")
    page.goto(f"{web_url}/console/reconciliation?date={today}")
    page.wait_for_selector("#recon-chart, #recon-unavailable")
    if page.query_selector("#recon-unavailable"):
        pytest.skip("cloud_service.reconcile is not part of this tree")
    assert page.query_selector("#recon-run") is None  # a viewer only reads

    browser_context.clear_cookies()
    _sign_in(page, web_url, "ops")
    page.goto(f"{web_url}/console/reconciliation?date={today}")
    page.click("#recon-run")
    page.wait_for_selector("#recon-result.info")
    assert "差异" in str(page.text_content("#recon-status"))
    assert len(page.query_selector_all("#recon-chart rect.total")) == 7
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#recon-repair")
    page.wait_for_selector("#recon-result.info >> text=已执行安全修复")
    shot(page, "console-reconciliation")
    ledger = session_factory(make_engine(f"sqlite:///{stack.var_dir / 'cloud_service.db'}"))
    audited = importlib.import_module("cloud_service.reconcile").recent_operations(
        ledger, 20, today
    )
    assert {(row["actor"], row["action"]) for row in audited} >= {("ops", "reconcile_run")}
