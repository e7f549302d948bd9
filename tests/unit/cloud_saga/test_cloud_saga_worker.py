"""The worker's threads: each claims its own steps by lease, so many drainers finish every
order once; a notification hands its order to a background driver and returns at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, update

from cloud_service import saga
from cloud_service.deps import Deps
from cloud_service.models import OrderEvent, OutboxStep
from cloud_service.saga import orders, worker
from envelope import Reply, clock, codes
from servicekit.db import transaction
from tests.unit.cloud_saga.saga_fakes import BillingChannel, paid_order, run_all
from tests.unit.cloud_service.answers import registration
from tests.unit.cloud_service.fakes import FakeHospital, ok


def test_a_leased_step_is_passed_over_by_the_next_claim(
    deps: Deps, channel: BillingChannel
) -> None:
    paid_order(deps, channel, "SELF_PAY")
    with transaction(deps.sessions) as session:
        first = saga.claim_due(session, 1)
    with transaction(deps.sessions) as session:
        second = saga.claim_due(session, 1)
    assert len(first) == 1 and second == []


def test_a_drainer_claims_one_step_at_a_time_leased_for_longer_than_it_can_take(
    deps: Deps, channel: BillingChannel, hospital: FakeHospital
) -> None:
    """A drainer that claimed several steps would run them one after another while their
    leases ran out, and another drainer would run the later ones a second time."""
    placed = [paid_order(deps, channel, "SELF_PAY", f"1390000{n:04d}") for n in range(3)]
    seen: list[tuple[int, float]] = []

    def confirm(body: dict[str, object]) -> Reply:
        with deps.sessions() as session:
            leases = session.scalars(
                select(OutboxStep.leased_until).where(OutboxStep.leased_until.is_not(None))
            ).all()
        seen.append((len(leases), min((at - clock.now()).total_seconds() for at in leases)))
        return ok(**registration(body))

    hospital.then("2008", confirm)
    assert worker.drain_once(deps) == 1
    run_all(deps)
    assert all(orders.reload(deps, o).state == saga.CONFIRMED for o in placed)
    assert [leased for leased, _ in seen] == [1, 1, 1]  # the others stay free meanwhile
    # the longest step at the default timeouts: two channel calls (up to 20 s each) and a
    # 2007 through the gateway (2 + 15 s)
    assert all(left > 2 * 20 + 17 for _, left in seen)


def test_several_drainers_finish_every_order_once(
    deps: Deps, channel: BillingChannel, hospital: FakeHospital
) -> None:
    placed = [paid_order(deps, channel, "SELF_PAY", f"1390000{n:04d}") for n in range(12)]
    stop = threading.Event()
    runner = threading.Thread(target=worker.run_forever, args=(deps, 0.05, stop, 4))
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
            orders.reload(deps, o).state != saga.CONFIRMED for o in placed
        ):
            time.sleep(0.05)
    finally:
        stop.set()
        runner.join(timeout=10)
    assert all(orders.reload(deps, o).state == saga.CONFIRMED for o in placed)
    assert hospital.codes().count("2008") == len(placed)  # each confirmed once
    with deps.sessions() as session:
        confirmed = session.scalar(
            select(func.count()).where(OrderEvent.to_state == saga.CONFIRMED)
        )
        waiting = session.scalars(select(OutboxStep.step).where(OutboxStep.done_at.is_(None))).all()
    assert confirmed == len(placed)
    # each order's expire step (stored with its lock) and payment_deadline, both due at the
    # end of the 15-minute window: they find the order confirmed and finish doing nothing
    assert sorted(waiting) == ["expire"] * len(placed) + ["payment_deadline"] * len(placed)


def test_an_idle_worker_looks_once_per_interval_not_once_per_thread(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing due, only the first drainer claims every interval; the other seven
    wait for it (or for eight intervals): 8 threads x 0.05 s for 1 s were 160 claims."""
    looks: list[str] = []
    real = worker.drain_once

    def counted(built: Deps, order_no: str | None = None) -> int:
        looks.append(threading.current_thread().name)
        return real(built, order_no)

    monkeypatch.setattr(worker, "drain_once", counted)
    stop = threading.Event()
    runner = threading.Thread(target=worker.run_forever, args=(deps, 0.05, stop, 8))
    runner.start()
    time.sleep(1.0)
    stop.set()
    runner.join(timeout=5)
    assert not runner.is_alive()  # stop reaches the waiting drainers at once
    assert 10 <= len(looks) <= 20 + 7 * 3 + 7, len(looks)


def test_drive_soon_moves_the_order_on_a_background_thread(
    deps: Deps, channel: BillingChannel
) -> None:
    order_no = paid_order(deps, channel, "SELF_PAY")
    worker.drive_soon(deps, order_no)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and orders.reload(deps, order_no).state != saga.CONFIRMED:
        time.sleep(0.02)
    assert orders.reload(deps, order_no).state == saga.CONFIRMED


def test_a_background_drive_failing_midway_leaves_the_worker_to_finish_it_once(
    deps: Deps, channel: BillingChannel, hospital: FakeHospital
) -> None:
    """The notification has been answered; the drive loses the center's 4005 answer (the
    center did settle), then the gateway fails on the HIS confirm. The worker finishes the
    order: settled once (found by 4007, never sent twice), confirmed once, paid once."""

    def gateway_down(_body: dict[str, object]) -> Reply:
        raise ConnectionError("gateway down")

    hospital.then("4005", Reply(codes.TIMED_OUT, "reply lost"))
    hospital.then("2008", gateway_down, lambda body: ok(**registration(body)))
    order_no = paid_order(deps, channel)
    worker.drive_soon(deps, order_no)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _retry_recorded(deps, order_no):
        time.sleep(0.02)  # until the drive has met the failure and left the step to retry
    assert orders.reload(deps, order_no).state == saga.INSURANCE_SETTLED
    with transaction(deps.sessions) as session:  # the backoff is over
        session.execute(update(OutboxStep).values(due_at=clock.now()))
    run_all(deps)
    order = orders.reload(deps, order_no)
    assert order.state == saga.CONFIRMED and order.setl_id == "SETL1"
    assert hospital.codes().count("4005") == 1  # the lost answer was queried, not resent
    assert "4007" in hospital.codes()
    assert hospital.codes().count("2008") == 2
    assert len(channel.refunds) == 0  # the cash stays taken, once, for a confirmed order
    with deps.sessions() as session:
        paid = session.scalar(
            select(func.count()).where(
                OrderEvent.order_no == order_no, OrderEvent.to_state == saga.PAID
            )
        )
    assert paid == 1


def _retry_recorded(deps: Deps, order_no: str) -> bool:
    with deps.sessions() as session:
        return bool(
            session.scalar(
                select(func.count()).where(
                    OutboxStep.order_no == order_no,
                    OutboxStep.done_at.is_(None),
                    OutboxStep.last_error.is_not(None),
                )
            )
        )
