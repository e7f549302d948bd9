"""Reconciliation: differences classified, safe ones repaired once and audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from cloud_service import ordering, saga, steps
from cloud_service.channels.base import BillRow, ChannelOutcomeUnknown, ChannelRefund
from cloud_service.deps import Deps
from cloud_service.models import OutboxStep
from cloud_service.reconcile import recent_operations, reconcile_day, record_operation, render
from cloud_service.reconcile.classify import OrderFacts, compare_orders
from cloud_service.reconcile.report import stored_report
from envelope import clock
from servicekit.db import transaction
from tests.unit.cloud_saga.saga_fakes import BillingChannel, awaiting_order, paid_order, run_all
from tests.unit.cloud_service.fakes import FakeHospital, ok


def _kinds(report: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(d["kind"], d["status"]) for d in report["differences"]]


def _closed_but_paid(deps: Deps, channel: BillingChannel, pay_mode: str) -> str:
    """An order closed at its deadline whose money reached the channel anyway."""
    order_no = awaiting_order(deps, pay_mode)
    steps.run_step(deps, "payment_deadline", order_no)
    assert ordering.reload(deps, order_no).state == saga.CLOSED
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
    hospital.then("2010", ok(status="RELEASED"))
    listed = reconcile_day(deps, clock.today())
    assert _kinds(listed) == [("PAID_AT_CHANNEL_ONLY", "OPEN")] and channel.refund_calls == 0
    repaired = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(repaired) == [("PAID_AT_CHANNEL_ONLY", "REPAIRED")]
    assert channel.refunds[order_no + "R1"].amount_fen == ordering.reload(deps, order_no).cash_fen
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
    hospital.then("2010", ok(status="RELEASED"))
    hospital.then("4007", ok(status="SETTLED", setl_id="SETL9"))
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
    assert ordering.reload(deps, order_no).state == saga.CONFIRMED


def test_amount_mismatch_is_left_for_a_person(deps: Deps, channel: BillingChannel) -> None:
    order_no = paid_order(deps, channel, "SELF_PAY")
    run_all(deps)
    channel.trades[order_no].amount_fen += 1
    report = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(report) == [("AMOUNT_MISMATCH", "FOR_PERSON")]
    assert report["summary"]["for_person"] == 1 and recent_operations(deps) == []


def test_insurance_center_only_item_is_listed(deps: Deps, hospital: FakeHospital) -> None:
    hospital.then("4008", ok(result="UNBALANCED", ours={"count": 0}, center={"count": 1}))
    item = {"order_no": "R-UNKNOWN", "classification": "CENTER_ONLY", "memo": "center only"}
    hospital.then("4009", ok(result="UNBALANCED", count=1, items=[item]))
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
    hospital.then("2010", ok(status="RELEASED"))
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
    assert channel.refunds[order_no + "R1"].amount_fen == ordering.reload(deps, order_no).cash_fen


def test_orphan_refund_the_channel_marks_abnormal_is_failed_not_repaired(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_no = _closed_but_paid(deps, channel, "SELF_PAY")
    hospital.then("2010", ok(status="RELEASED"))

    def abnormal(out_trade_no: str, out_refund_no: str, amount_fen: int, *rest: Any) -> Any:
        channel.refund_calls += 1
        return ChannelRefund(out_trade_no, out_refund_no, "ABNORMAL", amount_fen, "RF1")

    monkeypatch.setattr(channel, "make_refund", abnormal)
    repaired = reconcile_day(deps, clock.today(), repair=True)
    assert _kinds(repaired) == [("PAID_AT_CHANNEL_ONLY", "FAILED")] and channel.refund_calls == 1
    outcome = recent_operations(deps, target=order_no)[0]["detail"]["outcome"]
    assert "ABNORMAL" in outcome
