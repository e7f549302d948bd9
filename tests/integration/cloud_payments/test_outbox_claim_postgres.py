"""The outbox claim on PostgreSQL: one UPDATE ... FOR UPDATE SKIP LOCKED ... RETURNING, so
two drainers never take the same step, a leased or done step is passed over, and the claim
counts the attempt."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import update

from cloud_service import saga
from cloud_service.deps import Deps
from cloud_service.models import OutboxStep
from envelope import clock
from servicekit.db import make_engine, session_factory, transaction
from tests.integration.cloud_payments.conftest import new_order
from tests.unit.cloud_service.fakes import FakeHospital


def _deps(ledger: str) -> Deps:
    return Deps(sessions=session_factory(make_engine(ledger)), hospital=FakeHospital(), channels={})  # type: ignore[arg-type]


def _order_with_step(deps: Deps) -> str:
    order_no = "CL" + secrets.token_hex(6)
    new_order(deps, order_no, "WECHAT", 100)
    with transaction(deps.sessions) as session:
        saga.enqueue(session, order_no, saga.Step.PAYMENT_DEADLINE)
    return order_no


def test_two_drainers_at_once_take_different_steps(ledger: str) -> None:
    deps = _deps(ledger)
    first_order, second_order = _order_with_step(deps), _order_with_step(deps)
    with transaction(deps.sessions) as one, transaction(deps.sessions) as two:
        mine = saga.claim_due(one, 1, order_no=None)
        theirs = saga.claim_due(two, 5)  # the first claim's row is locked: skipped, not waited on
        assert len(mine) == 1
        assert mine[0].id not in {row.id for row in theirs}
    taken = {row.order_no for row in mine + theirs}
    assert {first_order, second_order} <= taken
    assert all(row.attempts == 1 for row in mine + theirs)


def test_a_leased_done_or_later_step_is_not_claimed_and_the_lease_runs_out(ledger: str) -> None:
    deps = _deps(ledger)
    order_no = _order_with_step(deps)
    with transaction(deps.sessions) as session:
        [claimed] = saga.claim_due(session, 1, lease_seconds=60, order_no=order_no)
    with transaction(deps.sessions) as session:
        assert saga.claim_due(session, 1, order_no=order_no) == []  # leased
        session.execute(
            update(OutboxStep)
            .where(OutboxStep.id == claimed.id)
            .values(leased_until=clock.now() - timedelta(seconds=1))
        )
    with transaction(deps.sessions) as session:
        [again] = saga.claim_due(session, 1, order_no=order_no)  # the lease ran out
        assert (again.id, again.attempts) == (claimed.id, 2)
        saga.finish_step(session, again.id)
        saga.enqueue(session, order_no, saga.Step.CONFIRM, clock.now() + timedelta(hours=1))
    with transaction(deps.sessions) as session:
        assert saga.claim_due(session, 5, order_no=order_no) == []  # done, and not due yet
