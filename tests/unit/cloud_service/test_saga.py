"""The saga: guarded transitions, timed-out steps queried first, compensation by rule."""

from __future__ import annotations

import pytest

from cloud_service import accounts, saga
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.saga import orders, patient
from cloud_service.saga.payments import PaidTrade, record_payment
from cloud_service.saga.worker import drain_once
from envelope import Reply, codes
from servicekit.db import transaction
from servicekit.logs import bind_trace_id, current_trace_id
from tests.unit.cloud_service.answers import insurance
from tests.unit.cloud_service.fakes import (
    FakeChannel,
    FakeHospital,
    awaiting_order,
    bind,
    new_order,
    ok,
)

TIMEOUT = Reply(codes.TIMED_OUT, "timed out")


def _paid_order(deps: Deps, pay_mode: str = "INSURANCE") -> str:
    order_no = awaiting_order(deps, pay_mode)
    paying = orders.reload(deps, order_no)
    taken = record_payment(deps, PaidTrade("WECHAT", order_no, paying.cash_fen, "WX1", "n1"))
    assert taken == order_no
    return order_no


def _run_all(deps: Deps) -> None:
    while drain_once(deps):
        pass


def test_insured_order_walks_every_state_to_confirmed(deps: Deps, hospital: FakeHospital) -> None:
    order_no = _paid_order(deps)
    _run_all(deps)
    order = orders.reload(deps, order_no)
    assert order.state == saga.CONFIRMED and order.setl_id == "SETL1"
    assert [e.to_state for e in orders.history(deps, order_no)] == [
        "CREATED",
        "PRESETTLED",
        "AWAITING_PAYMENT",
        "PAID",
        "INSURANCE_SETTLED",
        "CONFIRMED",
    ]
    settlement = hospital.calls[-1][1]["settlement"]
    assert settlement["cash"] == 100 and settlement["setl_id"] == "SETL1"


def test_a_timed_out_settle_is_queried_before_anything_else(
    deps: Deps, hospital: FakeHospital
) -> None:
    hospital.then("4005", TIMEOUT)
    order_no = _paid_order(deps)
    _run_all(deps)
    assert hospital.codes().count("4005") == 1  # never blindly retried
    assert hospital.codes()[hospital.codes().index("4005") + 1] == "4007"
    assert orders.reload(deps, order_no).state == saga.CONFIRMED


def test_an_unknown_settle_outcome_is_retried_later_not_assumed_failed(
    deps: Deps, hospital: FakeHospital
) -> None:
    hospital.then("4005", TIMEOUT)
    hospital.then("4007", Reply(codes.TIMED_OUT, "timed out"))
    order_no = _paid_order(deps)
    drain_once(deps)
    assert orders.reload(deps, order_no).state == saga.PAID


def test_a_timed_out_confirm_is_queried_with_2010(deps: Deps, hospital: FakeHospital) -> None:
    hospital.then("2008", TIMEOUT)
    order_no = _paid_order(deps, "SELF_PAY")
    _run_all(deps)
    assert "2010" in hospital.codes()
    assert orders.reload(deps, order_no).state == saga.CONFIRMED


def test_a_hospital_refusal_after_payment_starts_compensation(
    deps: Deps, hospital: FakeHospital
) -> None:
    hospital.then("2008", Reply(codes.LOCK_EXPIRED, "slot lock expired"))
    order_no = _paid_order(deps, "SELF_PAY")
    _run_all(deps)
    order = orders.reload(deps, order_no)
    assert order.state == saga.REFUNDING and "lock expired" in (order.failure or "")


def test_a_duplicate_notification_changes_nothing(deps: Deps) -> None:
    order_no = _paid_order(deps)
    again = record_payment(deps, PaidTrade("WECHAT", order_no, 100, "WX1", "n1"))
    assert again is None
    assert [e.to_state for e in orders.history(deps, order_no)].count("PAID") == 1


def test_a_wrong_amount_is_refused_and_the_order_stays_unpaid(deps: Deps) -> None:
    order_no = awaiting_order(deps, "SELF_PAY", "13800000002")
    with pytest.raises(CloudError) as caught:
        record_payment(deps, PaidTrade("WECHAT", order_no, 1, "WX9", "n9"))
    assert caught.value.result_code == codes.AMOUNT_MISMATCH
    assert orders.reload(deps, order_no).state == saga.AWAITING_PAYMENT


def test_guarded_transition_refuses_a_stale_expected_state(deps: Deps) -> None:
    order_no = _paid_order(deps)
    with pytest.raises(CloudError) as caught, transaction(deps.sessions) as session:
        saga.move(session, order_no, saga.AWAITING_PAYMENT, saga.PAID)
    assert caught.value.result_code == codes.ORDER_STATE_CONFLICT


def test_payment_deadline_closes_an_unpaid_order(deps: Deps, channel: FakeChannel) -> None:
    from datetime import timedelta

    quick = Deps(
        sessions=deps.sessions,
        hospital=deps.hospital,
        channels=deps.channels,
        payment_window=timedelta(seconds=-1),
    )
    order_no = awaiting_order(quick, "SELF_PAY", "13800000004")
    _run_all(quick)
    assert orders.reload(quick, order_no).state == saga.CLOSED
    assert channel.closed == [order_no]


def test_a_lost_notification_is_found_by_the_deadline_query(
    deps: Deps, channel: FakeChannel
) -> None:
    from datetime import timedelta

    quick = Deps(
        sessions=deps.sessions,
        hospital=deps.hospital,
        channels=deps.channels,
        payment_window=timedelta(seconds=-1),
    )
    order_no = awaiting_order(quick, "SELF_PAY", "13800000005")
    channel.trades[order_no].state = "SUCCESS"
    _run_all(quick)
    assert orders.reload(quick, order_no).state == saga.CONFIRMED


def test_a_refused_lock_cancels_the_order(deps: Deps, hospital: FakeHospital) -> None:
    hospital.then("2006", Reply(codes.SLOT_SOLD_OUT, "slot sold out"))
    user = accounts.register_user(deps, "13800000006")
    bind(deps, user)
    with pytest.raises(CloudError) as caught:
        patient.create_registration(
            deps,
            user,
            mrn="M0001",
            schedule_id="S1",
            slot_id=None,
            pay_mode="SELF_PAY",
            channel="WECHAT",
            trace_id="t",
        )
    assert caught.value.result_code == codes.SLOT_SOLD_OUT


def test_another_users_record_cannot_be_booked(deps: Deps) -> None:
    user = accounts.register_user(deps, "13800000007")
    with pytest.raises(CloudError) as caught:
        patient.create_registration(
            deps,
            user,
            mrn="M0001",
            schedule_id="S1",
            slot_id=None,
            pay_mode="SELF_PAY",
            channel="WECHAT",
            trace_id="t",
        )
    assert caught.value.result_code == codes.PATIENT_MISMATCH


def test_zero_cash_insured_order_skips_payment(deps: Deps, hospital: FakeHospital) -> None:
    free = {
        "medfee_sumamt": 1100,
        "fulamt_ownpay_amt": 0,
        "preselfpay_amt": 0,
        "inscp_scp_amt": 1100,
        "hifp_pay": 800,
        "acct_pay": 300,
        "psn_cash_pay": 0,
    }
    hospital.then("4004", lambda body: ok(**insurance(body, "PRESETTLED", split=free)))
    hospital.then("4005", lambda body: ok(**insurance(body, setl_id="SETL0", split=free)))
    order_no = new_order(deps, "INSURANCE", "13800000008")
    patient.start_payment(deps, orders.reload(deps, order_no).user_id, order_no)
    _run_all(deps)
    states = [e.to_state for e in orders.history(deps, order_no)]
    assert states == ["CREATED", "PRESETTLED", "INSURANCE_SETTLED", "CONFIRMED"]


def test_every_hop_of_an_order_carries_the_trace_id_it_was_created_with(
    deps: Deps, hospital: FakeHospital
) -> None:
    """The attack found the 4004 of ``POST /orders/<no>/pay`` under a trace of its own, so the
    console's timeline of the order never showed the pre-settle."""
    order_no = new_order(deps, "INSURANCE")  # created under trace "t1"
    order = orders.reload(deps, order_no)
    bind_trace_id("trace-of-the-pay-request")
    patient.start_payment(deps, order.user_id, order_no)
    assert current_trace_id() == "t1"  # the pay request's log lines follow the order too
    _run_all(deps)
    patient.cancel_registration(deps, order.user_id, new_order(deps, "SELF_PAY"))
    assert {code for code, _ in hospital.traces} >= {"2006", "4004"}
    assert {trace for _, trace in hospital.traces} == {"t1"}
