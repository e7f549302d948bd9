"""Recovery: every non-final order moves on after a crash; deadlines close and release."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from cloud_service import saga
from cloud_service.deps import Deps
from cloud_service.models import OutboxStep
from cloud_service.saga import orders, steps
from cloud_service.saga.clinic_stopped import refund_stopped_clinic
from cloud_service.saga.worker import resume_all
from envelope import Reply, clock, codes
from servicekit.db import transaction
from tests.unit.cloud_saga.saga_fakes import (
    BillingChannel,
    awaiting_order,
    new_order,
    paid_order,
    run_all,
)
from tests.unit.cloud_service.fakes import FakeHospital

TIMEOUT = Reply(codes.TIMED_OUT, "timed out")


def _lose_outbox(deps: Deps) -> None:
    """What a crash between a state commit and its step would leave: no step at all. (A row
    marked done after the order's last change means "left as it is" and is not resumed.)"""
    with transaction(deps.sessions) as session:
        session.execute(delete(OutboxStep))


def test_paid_order_left_without_a_step_is_resumed_to_confirmed(
    deps: Deps, channel: BillingChannel
) -> None:
    order_no = paid_order(deps, channel)
    _lose_outbox(deps)
    assert resume_all(deps, grace_seconds=0) == 1
    assert resume_all(deps, grace_seconds=0) == 0  # its step is pending now: not twice
    run_all(deps)
    assert orders.reload(deps, order_no).state == saga.CONFIRMED


def test_orders_changed_within_the_grace_are_left_to_their_request(
    deps: Deps, channel: BillingChannel
) -> None:
    paid_order(deps, channel)
    _lose_outbox(deps)
    assert resume_all(deps) == 0


def test_every_non_final_state_gets_a_step_and_every_step_a_handler(
    deps: Deps, channel: BillingChannel
) -> None:
    assert set(saga.NEXT_STEP) | saga.FINAL == set(saga.ALLOWED) | saga.FINAL
    assert set(saga.LIFE_CYCLE) == set(saga.State)
    in_table = {step for stage in saga.LIFE_CYCLE.values() for step in stage.steps}
    assert in_table | {saga.Step.STOPPED_REFUND} == set(steps.STEPS) == set(saga.Step)


def test_locked_order_never_paid_is_cancelled_and_its_slot_released(
    deps: Deps, hospital: FakeHospital
) -> None:
    quick = replace(deps, payment_window=timedelta(0))
    order_no = new_order(quick)
    assert resume_all(quick, grace_seconds=0) == 0  # its expire step came with its lock
    run_all(quick)
    assert orders.reload(quick, order_no).state == saga.CANCELLED
    assert ("2007", {"lock_id": "L1", "mrn": "M0001"}) in hospital.calls


def test_locked_order_within_its_window_waits(deps: Deps) -> None:
    order_no = new_order(deps)
    run_all(deps)
    assert orders.reload(deps, order_no).state == saga.CREATED


def test_a_locked_order_whose_expire_step_was_lost_is_resumed_and_expires(
    deps: Deps, hospital: FakeHospital
) -> None:
    quick = replace(deps, payment_window=timedelta(0))
    order_no = new_order(quick)
    _lose_outbox(quick)
    assert resume_all(quick, grace_seconds=0) == 1
    run_all(quick)
    assert orders.reload(quick, order_no).state == saga.CANCELLED
    assert hospital.codes().count("2007") == 1


def test_payment_deadline_closes_the_channel_order_and_releases_the_slot(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel
) -> None:
    order_no = awaiting_order(deps, "SELF_PAY")
    steps.run_step(deps, "payment_deadline", order_no)
    assert orders.reload(deps, order_no).state == saga.CLOSED
    assert channel.closed == [order_no]
    assert hospital.codes()[-1] == "2007"


def test_a_lost_slot_release_reply_is_retried_before_closing(
    deps: Deps, hospital: FakeHospital
) -> None:
    order_no = awaiting_order(deps, "SELF_PAY")
    hospital.then("2007", TIMEOUT)
    with pytest.raises(saga.RetryLater):
        steps.run_step(deps, "payment_deadline", order_no)
    assert orders.reload(deps, order_no).state == saga.AWAITING_PAYMENT


def test_clinic_stopped_reverses_insurance_and_refunds_a_confirmed_order(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel
) -> None:
    order_no = paid_order(deps, channel)
    run_all(deps)
    assert refund_stopped_clinic(deps, "S1", "医生停诊") == 1
    run_all(deps)
    order = orders.reload(deps, order_no)
    assert order.state == saga.REFUNDED
    assert "4006" in hospital.codes()
    assert channel.refunds[order_no + "R1"].amount_fen == order.cash_fen
    assert refund_stopped_clinic(deps, "S1", "医生停诊") == 0  # again: nothing twice
    assert channel.refund_calls == 1


def test_clinic_stopped_undoes_an_in_flight_order_once_it_is_confirmed(
    deps: Deps, channel: BillingChannel
) -> None:
    order_no = paid_order(deps, channel, "SELF_PAY")
    assert refund_stopped_clinic(deps, "S1", "医生停诊") == 1
    with pytest.raises(saga.RetryLater):
        steps.run_step(deps, "stopped_refund", order_no)
    for _ in range(3):  # the step waits (backoff) until the order is confirmed, then undoes it
        run_all(deps)
        with transaction(deps.sessions) as session:
            session.execute(update(OutboxStep).values(due_at=clock.now()))
    assert [e.to_state for e in orders.history(deps, order_no)][-3:] == [
        saga.CONFIRMED,
        saga.REFUNDING,
        saga.REFUNDED,
    ]
    assert channel.refund_calls == 1


def test_clinic_stopped_cancels_an_unpaid_order(deps: Deps) -> None:
    order_no = new_order(deps)
    assert refund_stopped_clinic(deps, "S1", "医生停诊") == 0
    assert orders.reload(deps, order_no).state == saga.CANCELLED


def test_settle_held_by_another_request_is_queried_never_compensated(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel
) -> None:
    order_no = paid_order(deps, channel)
    hospital.then("4005", Reply(codes.ORDER_STATE_CONFLICT, "order is being processed"))
    hospital.then("4007", Reply("0000", "ok", {"status": "UNKNOWN"}))
    with pytest.raises(saga.RetryLater):
        steps.run_step(deps, "settle", order_no)
    assert orders.reload(deps, order_no).state == saga.PAID
    assert hospital.codes()[-2:] == ["4005", "4007"]
