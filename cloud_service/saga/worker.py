"""The saga worker: drains the outbox, so every non-final order moves on after any crash.

Steps wait mostly on the network (gateway, intranet, insurance center, channels), so the
worker drains with several threads; each claims one step at a time, by lease. A notification's
request hands its order to a small pool of this process's threads (``drive_soon``) and
answers at once: the channel never waits for a settlement.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import exists, select

from cloud_service.deps import Deps
from cloud_service.models import Order, OutboxStep
from cloud_service.saga.outbox import (
    Claimed,
    RetryLater,
    claim_due,
    enqueue,
    finish_step,
    retry_step,
)
from cloud_service.saga.states import FINAL, next_step
from cloud_service.saga.steps import run_step
from envelope import clock
from servicekit.db import transaction

log = logging.getLogger(__name__)
RESUME_GRACE_SECONDS = 30.0  # also how often the worker looks for stranded orders
# A claimed step is leased for longer than one step can take, or another drainer would run
# it a second time meanwhile. At the default timeouts the longest, payment_deadline, takes
# under a minute: two channel calls (WeChat 3 s connect + 10 s read, Alipay 10 s + 10 s) and
# a 2007 (2 s + GATEWAY_TIMEOUT_SECONDS, 15); settle, confirm and reverse make two hospital
# calls (34 s). 120 s is twice that; raise it with GATEWAY_TIMEOUT_SECONDS above about 30.
STEP_LEASE_SECONDS = 120


def drain_once(deps: Deps, order_no: str | None = None) -> int:
    """Claim one due outbox step (of one order, when given) and run it; return how many ran
    (0 or 1). One at a time, so that a lease starts when its step does: steps claimed
    together would wait for each other while their leases ran out (threads run in parallel)."""
    claimed = _claim(deps, order_no)
    for row in claimed:
        if _run(deps, row):
            with transaction(deps.sessions) as session:
                finish_step(session, row.id)
    return len(claimed)


def _claim(deps: Deps, order_no: str | None, done: int | None = None) -> list[Claimed]:
    """Claim the next due step; ``done``, a step that succeeded, is finished in the same
    commit (a crash before it leaves that step leased, to run again once its lease ends:
    every step is idempotent on order_no)."""
    with transaction(deps.sessions) as session:
        if done is not None:
            finish_step(session, done)
        return claim_due(session, 1, STEP_LEASE_SECONDS, order_no=order_no)


def _run(deps: Deps, row: Claimed) -> bool:
    """Run a claimed step: True when it succeeded (the caller finishes it), else it is
    released to run again later."""
    try:
        run_step(deps, row.step, row.order_no)
    except RetryLater as exc:
        log.warning("order %s step %s will retry: %s", row.order_no, row.step, exc)
        with transaction(deps.sessions) as session:
            retry_step(session, row.id, row.attempts, str(exc), exc.not_before)
        return False
    except Exception as exc:  # a bug or an outage must not stop the worker
        log.exception("order %s step %s failed", row.order_no, row.step)
        with transaction(deps.sessions) as session:
            retry_step(session, row.id, row.attempts, type(exc).__name__)
        return False
    return True


def drive(deps: Deps, order_no: str, rounds: int = 5) -> None:
    """Advance one order right away (after a notification), as far as its steps go; each
    step's finish is committed with the claim of the next."""
    done: int | None = None
    try:
        for _ in range(rounds):
            claimed = _claim(deps, order_no, done)
            done = None
            if not claimed:
                return
            done = claimed[0].id if _run(deps, claimed[0]) else None
    finally:
        if done is not None:
            with transaction(deps.sessions) as session:
                finish_step(session, done)


_drivers: ThreadPoolExecutor | None = None
_drivers_pid = 0
_drivers_lock = threading.Lock()
DRIVE_THREADS = 4


def drive_soon(deps: Deps, order_no: str) -> None:
    """Advance one order on a background thread of this process; if the process dies first,
    the worker runs the same outbox step once it is due."""
    global _drivers, _drivers_pid
    with _drivers_lock:
        if _drivers is None or _drivers_pid != os.getpid():  # gunicorn forks after import
            _drivers = ThreadPoolExecutor(DRIVE_THREADS, thread_name_prefix="saga-drive")
            _drivers_pid = os.getpid()
        pool = _drivers
    pool.submit(_drive_logged, deps, order_no)


def _drive_logged(deps: Deps, order_no: str) -> None:
    try:
        drive(deps, order_no)
    except Exception:  # the worker picks the order up again
        log.exception("driving order %s failed; the worker will retry it", order_no)


def resume_all(deps: Deps, grace_seconds: float = RESUME_GRACE_SECONDS) -> int:
    """The recovery sweep: give every non-final order without a pending step the step that
    moves it on; return how many were re-enqueued. Every state change commits its next step
    with it (a stored lock its "expire" step too), so only a crash or a lost outbox row
    leaves an order here.

    An order whose last step finished after its last change was left where it is on purpose
    (a refund the channel refused waits for a person), so it is not resumed. Orders changed
    within ``grace_seconds`` are left alone too: a request may still be at work."""
    quiet_since = clock.now() - timedelta(seconds=grace_seconds)
    taken_care_of = exists().where(
        OutboxStep.order_no == Order.order_no,
        OutboxStep.done_at.is_(None) | (OutboxStep.done_at >= Order.updated_at),
    )
    with transaction(deps.sessions) as session:
        stranded = session.execute(
            select(Order.order_no, Order.state, Order.pay_mode, Order.lock_id).where(
                Order.state.not_in(FINAL),
                Order.updated_at <= quiet_since,
                Order.created_at <= quiet_since,
                ~taken_care_of,
            )
        ).all()
        resumed = 0
        for order_no, state, pay_mode, lock_id in stranded:
            step = next_step(state, pay_mode, lock_id is not None)
            if step is None:
                continue
            enqueue(session, order_no, step)
            resumed += 1
    if resumed:
        log.warning("recovery: %d non-final orders had no pending step and were resumed", resumed)
    return resumed


def run_forever(
    deps: Deps, interval_seconds: float, stop: threading.Event, threads: int = 1
) -> None:
    """Resume every non-final order, then drain the outbox on ``threads`` threads until
    ``stop`` is set. While nothing is due only the first thread looks, every
    ``interval_seconds``; the others wait until it finds a step (or ``threads`` intervals
    pass), so an idle worker costs one claim per interval, not one per thread."""
    log.info("saga worker started at %s with %d threads", clock.now_iso(), threads)
    wake = threading.Event()
    drainers = [
        threading.Thread(
            target=_follow, args=(deps, interval_seconds * threads, stop, wake), name=f"saga-{n}"
        )
        for n in range(1, threads)
    ]
    for thread in drainers:
        thread.start()
    try:
        _lead(deps, interval_seconds, stop, wake)
    finally:
        wake.set()  # the followers see stop at once
        for thread in drainers:
            thread.join()


def _lead(
    deps: Deps, interval_seconds: float, stop: threading.Event, wake: threading.Event
) -> None:
    next_resume = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_resume:
            _safely(resume_all, deps)
            next_resume = time.monotonic() + RESUME_GRACE_SECONDS
        if _safely(drain_once, deps):
            wake.set()
        else:
            stop.wait(interval_seconds)


def _follow(deps: Deps, idle_seconds: float, stop: threading.Event, wake: threading.Event) -> None:
    while not stop.is_set():
        if _safely(drain_once, deps) == 0:
            wake.clear()
            wake.wait(idle_seconds)


def _safely(work: Callable[[Deps], int], deps: Deps) -> int:
    try:
        return work(deps)
    except Exception:
        log.exception("outbox drain failed")
        return 0
