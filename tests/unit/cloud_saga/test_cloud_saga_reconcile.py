"""Reconciliation: differences classified, safe ones repaired once and audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from cloud_service import reconcile, saga
from cloud_service.api import reconcile as reconcile_api
from cloud_service.channels import bills
from cloud_service.channels.base import BillRow, ChannelOutcomeUnknown, ChannelRefund
from cloud_service.console import recon
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order, OutboxStep
from cloud_service.reconcile import recent_operations, reconcile_day, record_operation, render
from cloud_service.reconcile.classify import OrderFacts, compare_orders
from cloud_service.reconcile.report import stored_report, summary_of
from cloud_service.saga import orders, steps
from cloud_service.saga.undo import out_refund_no_of
from envelope import clock, codes
from servicekit.db import transaction
from simulators.wechatpay.bills import COLUMNS, SUMMARY
from tests.unit.cloud_saga.saga_fakes import BillingChannel, awaiting_order, paid_order, run_all
from tests.unit.cloud_service.answers import (
    day_detail,
    day_totals,
    difference,
    insurance,
    registration,
)
from tests.unit.cloud_service.fakes import FakeHospital, ok


def _kinds(report: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(d["kind"], d["status"]) for d in report["differences"]]


def _closed_but_paid(deps: Deps, channel: BillingChannel, pay_mode: str) -> str:
    """An order closed at its deadline whose money reached the channel anyway."""
    order_no = awaiting_order(deps, pay_mode)
    steps.run_step(deps, "payment_deadline", order_no)
    assert orders.reload(deps, order_no).state == saga.CLOSED
    channel.trades[order_no].state = "SUCCESS"
    return order_no


def test_a_clean_day_has_no_differences_and_is_stored(deps: Deps, channel: BillingChannel) -> None:
    paid_order(deps, channel)
    run_all(deps)
    report = reconcile_day(deps, clock.today())
    assert report["differences"] == [] and report["orders"]["by_state"] == {"CONFIRMED": 1}
    assert report["sources"]["WECHAT"]["payments"] == 1
    assert stored_report(deps, clock.today().isoformat()) == report


def test_orphan_payment_is_refunded_once_and_audited(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel
) -> None:
    order_no = _closed_but_paid(deps, channel, "SELF_PAY")
    hospital.then("2010", lambda body: ok(**registration(body, "RELEASED")))
    listed = reconcile_day(deps, clock.today())
    assert _kinds(listed) == [("PAID_AT_CHANNEL_ONLY", "OPEN")] and channel.refund_calls == 0
    repaired = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(repaired) == [("PAID_AT_CHANNEL_ONLY", "REPAIRED")]
    assert channel.refunds[order_no + "R1"].amount_fen == orders.reload(deps, order_no).cash_fen
    audit = recent_operations(deps, target=order_no)
    assert [(a["actor"], a["action"]) for a in audit] == [
        ("reconciliation", "refund_orphan_payment")
    ]
    assert repaired["differences"][0]["audit_id"] == audit[0]["id"]
    again = reconcile_day(deps, clock.today(), repair=True)
    assert again["differences"] == [] and channel.refund_calls == 1


def test_orphan_insurance_settlement_is_reversed(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel
) -> None:
    order_no = awaiting_order(deps, "INSURANCE")
    steps.run_step(deps, "payment_deadline", order_no)
    hospital.then("2010", lambda body: ok(**registration(body, "RELEASED")))
    hospital.then("4007", lambda body: ok(**insurance(body, setl_id="SETL9")))
    report = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(report) == [("SETTLED_AT_INSURANCE_ONLY", "REPAIRED")]
    assert ("4006", {"order_no": order_no, "reason": "reconciliation: orphan settlement"}) in (
        hospital.calls
    )
    assert recent_operations(deps)[0]["action"] == "reverse_orphan_settlement"


def test_stuck_confirm_is_completed(deps: Deps, channel: BillingChannel) -> None:
    order_no = paid_order(deps, channel, "SELF_PAY")
    with transaction(deps.sessions) as session:  # its step lost, as after a crash
        session.execute(update(OutboxStep).values(done_at=clock.now()))
    report = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(report) == [("STUCK_CONFIRM", "REPAIRED")]
    assert orders.reload(deps, order_no).state == saga.CONFIRMED


def test_amount_mismatch_is_left_for_a_person(deps: Deps, channel: BillingChannel) -> None:
    order_no = paid_order(deps, channel, "SELF_PAY")
    run_all(deps)
    channel.trades[order_no].amount_fen += 1
    report = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(report) == [("AMOUNT_MISMATCH", "FOR_PERSON")]
    assert report["summary"]["for_person"] == 1 and recent_operations(deps) == []


def test_insurance_center_only_item_is_listed(deps: Deps, hospital: FakeHospital) -> None:
    hospital.then("4008", lambda body: ok(**day_totals(body, "UNBALANCED", center_count=1)))
    item = difference("R-UNKNOWN", "CENTER_ONLY", "center only")
    hospital.then("4009", lambda body: ok(**day_detail(body, item)))
    report = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(report) == [("SETTLED_AT_INSURANCE_ONLY", "FOR_PERSON")]
    assert report["sources"]["insurance"]["result"] == "UNBALANCED"


def test_refund_made_outside_the_saga_is_reported_as_offline() -> None:
    order = OrderFacts("R1", "REG", saga.CONFIRMED, "SELF_PAY", "WECHAT", "R1", 500, None,
                       his="RECORDED")  # fmt: skip
    bill = [
        BillRow("PAYMENT", "R1", "WX1", 500, "2026-01-01 10:00:00"),
        BillRow("REFUND", "R1", "WX1", 500, "2026-01-01 11:00:00", "WINDOW-7"),
    ]
    found = compare_orders([order], bill, {"R1R1"})
    assert [(d.kind, d.status) for d in found] == [("REFUNDED_OFFLINE", "INFO")]


def test_page_shows_differences_escaped(deps: Deps, channel: BillingChannel) -> None:
    paid_order(deps, channel, "SELF_PAY")
    report = reconcile_day(deps, clock.today())
    report["differences"][0]["detail"] = "<script>x</script>"
    page = render(report)
    assert "STUCK_CONFIRM" not in page or "&lt;script&gt;" in page
    assert "<script>" not in page and clock.today().isoformat() in page


def test_record_operation_in_a_callers_session_commits_with_it(deps: Deps) -> None:
    with transaction(deps.sessions) as session:
        row_id = record_operation(session, "staff:007", "manual_refund", "R9", {"fen": 100})
    by_factory = record_operation(deps.sessions, "staff:007", "note", "R9", {})
    rows = recent_operations(deps, target="R9")
    assert [r["id"] for r in rows] == [by_factory, row_id]
    assert rows[1]["detail"] == {"fen": 100}


def test_orphan_refund_whose_answer_is_lost_fails_and_is_not_made_twice(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The channel takes the refund but its answer is lost: the repair is FAILED and audited,
    and the next run finds the refund in the bill instead of refunding again."""
    order_no = _closed_but_paid(deps, channel, "SELF_PAY")
    hospital.then("2010", lambda body: ok(**registration(body, "RELEASED")))
    make_refund = channel.make_refund

    def lost(*args: Any) -> ChannelRefund:
        make_refund(*args)
        raise ChannelOutcomeUnknown("read timed out")

    monkeypatch.setattr(channel, "make_refund", lost)
    failed = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(failed) == [("PAID_AT_CHANNEL_ONLY", "FAILED")]
    audit = recent_operations(deps, target=order_no)
    assert failed["differences"][0]["audit_id"] == audit[0]["id"]
    assert "failed" in audit[0]["detail"]["outcome"]
    again = reconcile_day(deps, clock.today(), repair=True)
    assert again["differences"] == [] and channel.refund_calls == 1
    assert channel.refunds[order_no + "R1"].amount_fen == orders.reload(deps, order_no).cash_fen


def test_orphan_refund_the_channel_marks_abnormal_is_failed_not_repaired(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_no = _closed_but_paid(deps, channel, "SELF_PAY")
    hospital.then("2010", lambda body: ok(**registration(body, "RELEASED")))

    def abnormal(out_trade_no: str, out_refund_no: str, amount_fen: int, *rest: Any) -> Any:
        channel.refund_calls += 1
        return ChannelRefund(out_trade_no, out_refund_no, "ABNORMAL", amount_fen, "RF1")

    monkeypatch.setattr(channel, "make_refund", abnormal)
    repaired = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(repaired) == [("PAID_AT_CHANNEL_ONLY", "FAILED")] and channel.refund_calls == 1
    outcome = recent_operations(deps, target=order_no)[0]["detail"]["outcome"]
    assert "ABNORMAL" in outcome


# --- a bill that cannot be read --------------------------------------------------------------


def _unreadable_wechat_bill(bill_date: str) -> list[BillRow]:
    """What WeChatPayChannel.trade_bill does with a file whose summary count is no number."""
    raw = "\r\n".join([COLUMNS, SUMMARY, "`two,`0.00,`0.00,`0,`0,`0.00,`0.00"]).encode()
    return bills.read(bills.WECHAT, raw)


def test_an_unreadable_bill_is_a_source_not_read_and_the_run_goes_on(
    deps: Deps, channel: BillingChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel, "trade_bill", _unreadable_wechat_bill)
    report = reconcile_day(deps, clock.today())
    assert report["sources"]["WECHAT"]["ok"] is False
    assert "not readable" in report["sources"]["WECHAT"]["error"]
    assert stored_report(deps, clock.today().isoformat()) == report


def test_the_ops_api_run_of_a_day_with_an_unreadable_bill_answers_200(
    deps: Deps, channel: BillingChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel, "trade_bill", _unreadable_wechat_bill)
    app = Flask(__name__)
    app.extensions["cloud_deps"] = deps
    app.register_blueprint(reconcile_api.blueprint("ops-token"))
    answer = app.test_client().post(
        f"/api/v1/ops/reconciliation/{clock.today().isoformat()}/run",
        headers={"Authorization": "Bearer ops-token"},
    )
    assert answer.status_code == 200
    assert answer.json is not None and answer.json["sources"]["WECHAT"]["ok"] is False


def test_a_channel_without_a_bill_is_a_source_not_read(deps: Deps) -> None:
    deps.channels["PLAIN"] = object()  # type: ignore[assignment]
    report = reconcile_day(deps, clock.today())
    assert report["sources"]["PLAIN"] == {"ok": False, "error": "the channel gives no trade bill"}


def test_a_bug_in_a_bill_parser_is_not_taken_for_an_unreadable_bill(
    deps: Deps, channel: BillingChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def buggy(bill_date: str) -> list[BillRow]:
        raise AttributeError("'NoneType' object has no attribute 'split'")

    monkeypatch.setattr(channel, "trade_bill", buggy)
    with pytest.raises(AttributeError):
        reconcile_day(deps, clock.today())


# --- refunds of orders of earlier days ---------------------------------------------------------


def test_the_sagas_refund_of_an_earlier_days_order_is_not_offline(
    deps: Deps, channel: BillingChannel
) -> None:
    earlier = paid_order(deps, channel, "SELF_PAY")
    run_all(deps)
    with transaction(deps.sessions) as session:  # made and paid last week, refunded today
        session.execute(
            update(Order)
            .where(Order.order_no == earlier)
            .values(created_at=clock.now() - timedelta(days=7))
        )
    del channel.trades[earlier]  # its payment was in last week's bill
    refunded = {earlier: out_refund_no_of(earlier), "T7": "WINDOW-7", "T8": "R-NO-SUCHR1"}
    for trade, refund_no in refunded.items():
        channel.refunds[refund_no] = ChannelRefund(trade, refund_no, "SUCCESS", 100, "RF1")
    report = reconcile_day(deps, clock.today())
    offline = [d["detail"] for d in report["differences"] if d["kind"] == "REFUNDED_OFFLINE"]
    assert offline == [
        "refund WINDOW-7 not made by the saga",
        "refund R-NO-SUCHR1 not made by the saga",
    ]


# --- one difference repaired from the console --------------------------------------------------


def test_a_console_repair_updates_the_stored_report_and_is_not_made_twice(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_no = _closed_but_paid(deps, channel, "SELF_PAY")
    hospital.then("2010", lambda body: ok(**registration(body, "RELEASED")))
    listed = reconcile_day(deps, clock.today())
    assert _kinds(listed) == [("PAID_AT_CHANNEL_ONLY", "OPEN")]

    def no_rerun(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the day was reconciled again for one repair")

    monkeypatch.setattr(reconcile, "reconcile_day", no_rerun)
    answer = recon.repair_item(deps, "ops", clock.today(), order_no, "PAID_AT_CHANNEL_ONLY")
    assert answer["status"] == "REPAIRED" and channel.refund_calls == 1
    audit = recent_operations(deps, target=order_no)
    assert [(a["actor"], a["action"]) for a in audit] == [("ops", "refund_orphan_payment")]
    stored = stored_report(deps, clock.today().isoformat())
    assert stored is not None and _kinds(stored) == [("PAID_AT_CHANNEL_ONLY", "REPAIRED")]
    assert stored["differences"][0]["audit_id"] == audit[0]["id"]
    assert stored["summary"] == {**listed["summary"], "open": 0, "repaired": 1}
    assert stored["ran_at"] == listed["ran_at"]

    with pytest.raises(CloudError) as caught:  # the same POST again
        recon.repair_item(deps, "ops", clock.today(), order_no, "PAID_AT_CHANNEL_ONLY")
    assert caught.value.result_code == codes.ORDER_STATE_CONFLICT
    assert channel.refund_calls == 1 and len(recent_operations(deps, target=order_no)) == 1


def test_the_summary_of_a_report_is_counted_from_its_differences() -> None:
    listed = [
        {"kind": "STUCK_CONFIRM", "status": "REPAIRED"},
        {"kind": "STUCK_CONFIRM", "status": "FAILED"},
        {"kind": "REFUNDED_OFFLINE", "status": "INFO"},
    ]
    assert summary_of(listed) == {
        "differences": 3,
        "by_kind": {"STUCK_CONFIRM": 2, "REFUNDED_OFFLINE": 1},
        "repaired": 1,
        "for_person": 0,
        "failed": 1,
        "open": 0,
        "info": 1,
    }
