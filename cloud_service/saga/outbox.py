"""The outbox that drives the saga: a step is added in the transaction that changes the
order's state, claimed by lease, then finished or released to run again later."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, select, update
from sqlalchemy.orm import Session

from cloud_service.models import OutboxStep
from cloud_service.saga.states import Step
from envelope import clock

# The outbox's table for the claim, finish and retry UPDATEs: Core statements, without the
# ORM's bulk-update machinery (that cost a claim over a millisecond of CPU on its own).
OUTBOX = cast(Table, OutboxStep.__table__)


class RetryLater(Exception):
    """A step could not finish now (outcome unknown or a peer down); run it again later.

    ``not_before``: the step cannot succeed before then (a deadline not reached yet), so its
    row waits for it instead of being tried every minute."""

    def __init__(self, reason: str, not_before: datetime | None = None) -> None:
        super().__init__(reason)
        self.not_before = not_before


def enqueue(session: Session, order_no: str, step: Step, due_at: datetime | None = None) -> None:
    """Add an outbox row for the order's next step (due now unless ``due_at`` says)."""
    session.add(OutboxStep(order_no=order_no, step=step, due_at=due_at or clock.now(), attempts=0))


class Claimed(NamedTuple):
    """A leased outbox row: ``attempts`` counts this run."""

    id: int
    step: str
    order_no: str
    attempts: int


def claim_due(
    session: Session, limit: int, lease_seconds: int = 30, order_no: str | None = None
) -> list[Claimed]:
    """Lease up to ``limit`` due outbox rows (a row leased by another worker is skipped).
    On PostgreSQL one statement (UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
    RETURNING); SQLite, whose writers queue on BEGIN IMMEDIATE, selects then updates."""
    now = clock.now()
    free = OUTBOX.c.leased_until.is_(None) | (OUTBOX.c.leased_until < now)
    due = select(OUTBOX.c.id).where(OUTBOX.c.done_at.is_(None), OUTBOX.c.due_at <= now, free)
    if order_no is not None:
        due = due.where(OUTBOX.c.order_no == order_no)
    lease = {"leased_until": now + timedelta(seconds=lease_seconds)}
    if session.get_bind().dialect.name == "postgresql":
        chosen = due.order_by(OUTBOX.c.due_at).limit(limit).with_for_update(skip_locked=True)
        claimed = session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(chosen.scalar_subquery()))
            .values(attempts=OUTBOX.c.attempts + 1, **lease)
            .returning(OUTBOX.c.id, OUTBOX.c.step, OUTBOX.c.order_no, OUTBOX.c.attempts)
        ).all()
        return [Claimed(*row) for row in claimed]
    return _claim_one_by_one(session, due, limit, free, lease)


def _claim_one_by_one(
    session: Session, due: Select[int], limit: int, free: Any, lease: dict[str, Any]
) -> list[Claimed]:
    # a few more than asked: drainers looking at once all see the same first rows
    candidates = session.scalars(due.order_by(OUTBOX.c.due_at).limit(limit + 8)).all()
    claimed: list[Claimed] = []
    for step_id in candidates:
        if len(claimed) == limit:
            break
        row = session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == step_id, OUTBOX.c.done_at.is_(None), free)
            .values(attempts=OUTBOX.c.attempts + 1, **lease)
            .returning(OUTBOX.c.id, OUTBOX.c.step, OUTBOX.c.order_no, OUTBOX.c.attempts)
        ).first()
        if row is not None:
            claimed.append(Claimed(*row))
    return claimed


def finish_step(session: Session, step_id: int) -> None:
    """Mark an outbox row done."""
    session.execute(
        update(OUTBOX).where(OUTBOX.c.id == step_id).values(done_at=clock.now(), leased_until=None)
    )


def retry_step(
    session: Session, step_id: int, attempts: int, error: str, not_before: datetime | None = None
) -> None:
    """Release an outbox row to run again after an exponential backoff (at most a minute),
    or at ``not_before`` when that is later."""
    due = clock.now() + timedelta(seconds=min(2 ** max(attempts - 1, 0), 60))
    if not_before is not None:
        due = max(due, not_before)
    session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == step_id)
        .values(due_at=due, leased_until=None, last_error=error[:500])
    )
