"""The worker's threads: each claims its own steps by lease, so many drainers finish every
order once; a notification hands its order to a background driver and returns at once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from cloud_service import ordering, saga, worker
from cloud_service.deps import Deps
from cloud_service.models import OrderEvent, OutboxStep
from servicekit.db import transaction
from tests.unit.cloud_saga.saga_fakes import BillingChannel, paid_order
from tests.unit.cloud_service.fakes import FakeHospital


def test_a_leased_step_is_passed_over_by_the_next_claim(
    deps: Deps, channel: BillingChannel
) -> None:
    paid_order(deps, channel, "SELF_PAY")
    with transaction(deps.sessions) as session:
        first = saga.claim_due(session, 1)
    with transaction(deps.sessions) as session:
        second = saga.claim_due(session, 1)
    assert len(first) == 1 and second == []


def test_several_drainers_finish_every_order_once(
    deps: Deps, channel: BillingChannel, hospital: FakeHospital
) -> None:
    orders = [paid_order(deps, channel, "SELF_PAY", f"1390000{n:04d}") for n in range(12)]
    stop = threading.Event()
    runner = threading.Thread(target=worker.run_forever, args=(deps, 0.05, stop, 4))
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
            ordering.reload(deps, o).state != saga.CONFIRMED for o in orders
        ):
            time.sleep(0.05)
    finally:
        stop.set()
        runner.join(timeout=10)
    assert all(ordering.reload(deps, o).state == saga.CONFIRMED for o in orders)
    assert hospital.codes().count("2008") == len(orders)  # each confirmed once
    with deps.sessions() as session:
        confirmed = session.scalar(
            select(func.count()).where(OrderEvent.to_state == saga.CONFIRMED)
        )
        waiting = session.scalars(select(OutboxStep.step).where(OutboxStep.done_at.is_(None))).all()
    assert confirmed == len(orders)
    assert waiting == ["payment_deadline"] * len(orders)  # each due in 15 minutes, harmless


def test_drive_soon_moves_the_order_on_a_background_thread(
    deps: Deps, channel: BillingChannel
) -> None:
    order_no = paid_order(deps, channel, "SELF_PAY")
    worker.drive_soon(deps, order_no)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and ordering.reload(deps, order_no).state != saga.CONFIRMED:
        time.sleep(0.02)
    assert ordering.reload(deps, order_no).state == saga.CONFIRMED
