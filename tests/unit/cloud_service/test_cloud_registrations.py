"""Cancelling a registration: unpaid ones in the HIS first (2007), paid ones at the window;
listing a user's registrations per bound record (2009)."""

from __future__ import annotations

import threading

import pytest

from cloud_service import accounts, registrations, saga
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.saga import orders, patient
from cloud_service.saga.payments import PaidTrade, record_payment
from cloud_service.saga.worker import drain_once
from envelope import Reply, codes
from tests.unit.cloud_service.answers import hold, registration
from tests.unit.cloud_service.fakes import FakeChannel, FakeHospital, bind, new_order, ok


def _order(deps: Deps) -> tuple[str, str]:
    order_no = new_order(deps, "SELF_PAY")
    return orders.reload(deps, order_no).user_id, order_no


def _refusal(deps: Deps, user: str, order_no: str) -> CloudError:
    with pytest.raises(CloudError) as refused:
        patient.cancel_registration(deps, user, order_no)
    return refused.value


def test_an_unpaid_registration_is_released_in_the_his_then_cancelled(
    deps: Deps, hospital: FakeHospital
) -> None:
    user, order_no = _order(deps)
    order = patient.cancel_registration(deps, user, order_no)
    assert order.state == saga.CANCELLED
    assert hospital.calls[-1] == ("2007", {"lock_id": "L1", "mrn": "M0001"})
    again = patient.cancel_registration(deps, user, order_no)
    assert again.state == saga.CANCELLED and hospital.codes().count("2007") == 1


def test_past_the_cut_off_the_order_stays_as_it_was(deps: Deps, hospital: FakeHospital) -> None:
    user, order_no = _order(deps)
    hospital.then("2007", Reply(codes.PAST_CUTOFF, "bookings can be cancelled until 08:00"))
    assert _refusal(deps, user, order_no).result_code == codes.PAST_CUTOFF
    assert orders.reload(deps, order_no).state == saga.CREATED


def test_cancelling_while_the_cashier_is_open_closes_the_channel_order(
    deps: Deps, hospital: FakeHospital, channel: FakeChannel
) -> None:
    user, order_no = _order(deps)
    patient.start_payment(deps, user, order_no)
    order = patient.cancel_registration(deps, user, order_no)
    assert order.state == saga.CLOSED and channel.closed == [order_no]
    assert "2007" in hospital.codes()


def test_a_payment_that_got_in_first_wins_over_the_cancel(deps: Deps, channel: FakeChannel) -> None:
    user, order_no = _order(deps)
    paying = patient.start_payment(deps, user, order_no)
    channel.trades[order_no].state = "SUCCESS"
    refused = _refusal(deps, user, order_no)
    assert refused.result_code == codes.ORDER_STATE_CONFLICT
    assert orders.reload(deps, order_no).state == saga.PAID
    assert paying.cash_fen == channel.trades[order_no].amount_fen


def test_a_paid_registration_is_refunded_at_the_window_not_here(
    deps: Deps, hospital: FakeHospital
) -> None:
    user, order_no = _order(deps)
    paying = patient.start_payment(deps, user, order_no)
    record_payment(deps, PaidTrade("WECHAT", order_no, paying.cash_fen, "WX1", "n1"))
    while drain_once(deps):
        pass
    assert orders.reload(deps, order_no).state == saga.CONFIRMED
    refused = _refusal(deps, user, order_no)
    assert refused.result_code == codes.ORDER_STATE_CONFLICT and "窗口" in refused.result_msg
    assert "2007" not in hospital.codes()


def test_another_users_order_cannot_be_cancelled(deps: Deps) -> None:
    _user, order_no = _order(deps)
    stranger = accounts.register_user(deps, "13900000000")
    assert _refusal(deps, stranger, order_no).result_code == codes.RECORD_NOT_FOUND


def test_registrations_of_every_bound_record_carry_the_order_state(
    deps: Deps, hospital: FakeHospital
) -> None:
    user, order_no = _order(deps)
    booked = {"order_no": order_no, "mrn": "M0001"}
    hospital.then("2009", lambda body: ok(registrations=[registration(booked, "BOOKED")]))
    rows = registrations.my_registrations(deps, user, None, None, None, "t1")
    assert rows == [
        {**registration(booked, "BOOKED"), "patient_name": "张伟", "order_state": "CREATED"}
    ]
    with pytest.raises(CloudError) as refused:
        registrations.my_registrations(deps, user, "M9999", None, None, "t1")
    assert refused.value.result_code == codes.PATIENT_MISMATCH


def _register(deps: Deps, user: str, schedule_id: str = "S1") -> str:
    return patient.create_registration(
        deps,
        user,
        mrn="M0001",
        schedule_id=schedule_id,
        slot_id=None,
        pay_mode="SELF_PAY",
        channel="WECHAT",
        trace_id="t",
    ).order_no


def _hoarder(deps: Deps) -> str:
    user = accounts.register_user(deps, "13800000021")
    bind(deps, user)
    return user


def test_a_fourth_unpaid_same_day_lock_is_refused_with_2020(
    deps: Deps, hospital: FakeHospital
) -> None:
    user = _hoarder(deps)
    for n in range(3):
        _register(deps, user, f"S{n}")
    with pytest.raises(CloudError) as refused:
        _register(deps, user, "S9")
    assert refused.value.result_code == codes.REGISTRATION_LIMIT
    assert "待支付" in refused.value.result_msg
    assert hospital.codes().count("2006") == 3  # the HIS was not asked for the fourth


def test_a_cancelled_lock_gives_its_place_back(deps: Deps) -> None:
    user = _hoarder(deps)
    first = _register(deps, user, "S0")
    _register(deps, user, "S1")
    _register(deps, user, "S2")
    patient.cancel_registration(deps, user, first)
    assert _register(deps, user, "S3")


def test_future_bookings_do_not_count_as_unpaid_same_day_locks(
    deps: Deps, hospital: FakeHospital
) -> None:
    def booked(body: dict[str, object]) -> Reply:
        return ok(**hold(body, "BOOKED", lock_id="L2", visit_date="2099-01-01"))

    hospital.then("2006", booked, booked, booked, booked)
    user = _hoarder(deps)
    for n in range(4):
        _register(deps, user, f"F{n}")


def test_a_burst_of_registrations_holds_at_most_the_limit(
    deps: Deps, hospital: FakeHospital
) -> None:
    user = _hoarder(deps)
    start = threading.Barrier(8)
    codes_seen: list[str] = []

    def attempt(n: int) -> None:
        start.wait()
        try:
            _register(deps, user, f"B{n}")
            codes_seen.append(codes.SUCCESS)
        except CloudError as exc:
            codes_seen.append(exc.result_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(codes_seen) == [codes.SUCCESS] * 3 + [codes.REGISTRATION_LIMIT] * 5
