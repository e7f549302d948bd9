"""When an unpaid order is given up: a booking for a later day only once its visit day is
over, a lock only once the HIS has really let it go; and an order left for a person stays
where it was left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from cloud_service import saga
from cloud_service.channels.base import ChannelRefund, ChannelRejected
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import OutboxStep
from cloud_service.saga import orders, patient, steps
from cloud_service.saga.worker import resume_all
from envelope import Reply, clock, codes
from servicekit.db import transaction
from tests.unit.cloud_saga.saga_fakes import BillingChannel, new_order, paid_order, run_all
from tests.unit.cloud_service.answers import hold, registration
from tests.unit.cloud_service.fakes import FakeHospital, ok

BOOKED_ON = datetime(2026, 3, 2, 10, 0, tzinfo=clock.SHANGHAI)
VISIT_DAY = "2026-03-03"
END_OF_VISIT_DAY = datetime(2026, 3, 4, 0, 0, tzinfo=clock.SHANGHAI)


@dataclass
class Clock:
    """clock.now() as the test sets it."""

    at: datetime


@pytest.fixture()
def now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock(BOOKED_ON)
    monkeypatch.setattr(clock, "now", lambda: fixed.at)
    return fixed


def _booking(deps: Deps, hospital: FakeHospital) -> str:
    """A registration booked today for tomorrow (2006 answers BOOKED, no expiry), unpaid."""
    hospital.then(
        "2006",
        lambda body: ok(**hold(body, "BOOKED", visit_date=VISIT_DAY)),
    )
    return new_order(deps)


def _pending(deps: Deps, order_no: str) -> list[tuple[str, datetime]]:
    with deps.sessions() as session:
        rows = session.execute(
            select(OutboxStep.step, OutboxStep.due_at).where(
                OutboxStep.order_no == order_no, OutboxStep.done_at.is_(None)
            )
        ).all()
    return [(step, due_at) for step, due_at in rows]


def test_a_booking_is_stored_with_its_expire_step_which_waits_until_its_day_is_over(
    deps: Deps, hospital: FakeHospital, now: Clock
) -> None:
    """The lock and its expire step are one commit: the recovery sweep has nothing to add."""
    order_no = _booking(deps, hospital)
    assert _pending(deps, order_no) == [("expire", END_OF_VISIT_DAY)]
    assert resume_all(deps, grace_seconds=0) == 0
    run_all(deps)
    assert _pending(deps, order_no) == [("expire", END_OF_VISIT_DAY)]
    assert resume_all(deps, grace_seconds=0) == 0  # its step is pending: nothing added


def test_a_booking_is_not_cancelled_on_its_own_day(
    deps: Deps, hospital: FakeHospital, now: Clock
) -> None:
    order_no = _booking(deps, hospital)
    run_all(deps)
    now.at = datetime(2026, 3, 3, 0, 1, tzinfo=clock.SHANGHAI)  # just after midnight: its day
    assert resume_all(deps, grace_seconds=0) == 0
    run_all(deps)
    with pytest.raises(saga.RetryLater):  # even were the step run now, it would wait
        steps.run_step(deps, "expire", order_no)
    assert orders.reload(deps, order_no).state == saga.CREATED
    assert "2007" not in hospital.codes()


def test_a_booking_unpaid_at_the_end_of_its_day_is_released_and_cancelled_once(
    deps: Deps, hospital: FakeHospital, now: Clock
) -> None:
    order_no = _booking(deps, hospital)
    run_all(deps)
    now.at = END_OF_VISIT_DAY + timedelta(seconds=30)
    run_all(deps)
    assert resume_all(deps, grace_seconds=0) == 0
    run_all(deps)
    assert orders.reload(deps, order_no).state == saga.CANCELLED
    assert hospital.codes().count("2007") == 1
    assert [e.to_state for e in orders.history(deps, order_no)].count(saga.CANCELLED) == 1


def test_a_booking_past_its_cut_off_is_closed_once_its_day_is_over(
    deps: Deps, hospital: FakeHospital, now: Clock
) -> None:
    """The HIS cancels a booking only until the clinic opens (2016 after): on its day the
    cloud keeps the order; once the day is over the booking holds nothing anyone could use."""
    order_no = _booking(deps, hospital)
    now.at = datetime(2026, 3, 3, 10, 0, tzinfo=clock.SHANGHAI)
    user = orders.reload(deps, order_no).user_id
    patient.start_payment(deps, user, order_no)
    hospital.then("2007", Reply(codes.PAST_CUTOFF, "bookings can be cancelled until 08:00"))
    now.at += deps.payment_window
    with pytest.raises(saga.RetryLater) as waiting:
        steps.run_step(deps, "payment_deadline", order_no)
    assert waiting.value.not_before == END_OF_VISIT_DAY
    assert orders.reload(deps, order_no).state == saga.AWAITING_PAYMENT
    now.at = END_OF_VISIT_DAY
    steps.run_step(deps, "payment_deadline", order_no)
    assert orders.reload(deps, order_no).state == saga.CLOSED


def test_a_booking_found_after_a_lost_lock_reply_gets_its_expire_step_at_once(
    deps: Deps, hospital: FakeHospital, now: Clock
) -> None:
    hospital.then("2006", Reply(codes.TIMED_OUT, "reply lost"))
    with pytest.raises(CloudError):
        new_order(deps)
    hospital.then("2010", lambda body: ok(**registration(body, "BOOKED", visit_date=VISIT_DAY)))
    run_all(deps)
    (order_no,) = {o for o, _ in _pending_of_all(deps)}
    assert orders.reload(deps, order_no).lock_id == "L1"
    assert _pending(deps, order_no) == [("expire", END_OF_VISIT_DAY)]


def _pending_of_all(deps: Deps) -> list[tuple[str, str]]:
    with deps.sessions() as session:
        rows = session.execute(
            select(OutboxStep.order_no, OutboxStep.step).where(OutboxStep.done_at.is_(None))
        ).all()
    return [(order_no, step) for order_no, step in rows]


@pytest.mark.parametrize(
    "answer",
    [
        Reply(codes.ORDER_STATE_CONFLICT, "a confirmed registration is refunded at the window"),
        Reply(codes.PATIENT_MISMATCH, "record does not belong to this patient"),
        Reply(codes.RATE_LIMITED, "rate limited"),
        Reply(codes.TIMED_OUT, "timed out"),
    ],
)
def test_a_lock_the_his_may_still_hold_is_never_taken_as_released(
    deps: Deps, hospital: FakeHospital, now: Clock, answer: Reply
) -> None:
    order_no = new_order(deps)
    hospital.then("2007", answer)
    now.at += deps.payment_window
    with pytest.raises(saga.RetryLater):
        steps.run_step(deps, "expire", order_no)
    assert orders.reload(deps, order_no).state == saga.CREATED


@pytest.mark.parametrize("gone", [codes.RECORD_NOT_FOUND, codes.LOCK_EXPIRED])
def test_a_lock_the_his_no_longer_holds_counts_as_released(
    deps: Deps, hospital: FakeHospital, now: Clock, gone: str
) -> None:
    order_no = new_order(deps)
    hospital.then("2007", Reply(gone, codes.message(gone)))
    now.at += deps.payment_window
    steps.run_step(deps, "expire", order_no)
    assert orders.reload(deps, order_no).state == saga.CANCELLED


def test_a_step_finished_before_the_last_change_does_not_hold_recovery_back(
    deps: Deps, channel: BillingChannel, now: Clock
) -> None:
    order_no = paid_order(deps, channel, "SELF_PAY")
    with transaction(deps.sessions) as session:  # as if its steps had run before it was paid
        session.execute(update(OutboxStep).values(done_at=BOOKED_ON - timedelta(seconds=1)))
    assert resume_all(deps, grace_seconds=0) == 1
    run_all(deps)
    assert orders.reload(deps, order_no).state == saga.CONFIRMED


@dataclass
class RefusingChannel(BillingChannel):
    """A channel that refuses every refund (e.g. the merchant's balance is short)."""

    def make_refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> ChannelRefund:
        """Refuse, counting the attempt."""
        self.refund_calls += 1
        raise ChannelRejected(403, "NOT_ENOUGH", "merchant balance is short")


@pytest.fixture()
def channel() -> BillingChannel:
    """The conftest's deps take this refusing channel."""
    return RefusingChannel()


def test_an_order_left_for_a_person_is_not_resumed(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel, now: Clock
) -> None:
    hospital.then("2008", Reply(codes.LOCK_EXPIRED, "slot lock expired"))
    order_no = paid_order(deps, channel, "SELF_PAY")
    run_all(deps)  # confirm refused: REFUNDING; the refund refused: left for a person
    order = orders.reload(deps, order_no)
    assert order.state == saga.REFUNDING and "refused the refund" in (order.failure or "")
    now.at += deps.payment_window  # its payment_deadline step runs too, and finds it paid
    run_all(deps)
    assert _pending(deps, order_no) == []
    assert resume_all(deps, grace_seconds=0) == 0
    run_all(deps)
    assert channel.refund_calls == 1
