"""The saga worker: drains the outbox, so every non-final order moves on after any crash."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from cloud_service import saga
from cloud_service.deps import Deps
from cloud_service.models import OutboxStep
from cloud_service.steps import RetryLater, run_step
from envelope import clock
from servicekit.db import transaction
from servicekit.logs import bind_trace_id

log = logging.getLogger(__name__)


def drain_once(deps: Deps, limit: int = 20, order_no: str | None = None) -> int:
    """Run every due outbox step (of one order, when given); return how many ran."""
    with transaction(deps.sessions) as session:
        rows = saga.claim_due(session, limit, order_no=order_no)
        claimed = [(row.id, row.step, row.order_no, row.attempts + 1) for row in rows]
    for step_id, step, row_order, attempts in claimed:
        _run(deps, step_id, step, row_order, attempts)
    return len(claimed)


def _run(deps: Deps, step_id: int, step: str, order_no: str, attempts: int) -> None:
    bind_trace_id(_trace_of(deps, order_no))
    try:
        run_step(deps, step, order_no)
    except RetryLater as exc:
        log.warning("order %s step %s will retry: %s", order_no, step, exc)
        with transaction(deps.sessions) as session:
            saga.retry_step(session, step_id, attempts, str(exc))
        return
    except Exception as exc:  # a bug or an outage must not stop the worker
        log.exception("order %s step %s failed", order_no, step)
        with transaction(deps.sessions) as session:
            saga.retry_step(session, step_id, attempts, type(exc).__name__)
        return
    with transaction(deps.sessions) as session:
        saga.finish_step(session, step_id)


def _trace_of(deps: Deps, order_no: str) -> str:
    from cloud_service.models import Order

    with deps.sessions() as session:
        order = session.get(Order, order_no)
    return order.trace_id if order else ""


def drive(deps: Deps, order_no: str, rounds: int = 5) -> None:
    """Advance one order right away (after a notification), as far as its steps go."""
    for _ in range(rounds):
        if drain_once(deps, order_no=order_no) == 0:
            return


def pending_steps(deps: Deps) -> int:
    """How many outbox steps are not done yet."""
    with deps.sessions() as session:
        return len(session.scalars(select(OutboxStep.id).where(OutboxStep.done_at.is_(None))).all())


def run_forever(deps: Deps, interval_seconds: float, stop: threading.Event) -> None:
    """Poll the outbox until ``stop`` is set."""
    log.info("saga worker started at %s", clock.now_iso())
    while not stop.is_set():
        try:
            ran = drain_once(deps)
        except Exception:
            log.exception("outbox drain failed")
            ran = 0
        if ran == 0:
            stop.wait(interval_seconds)
