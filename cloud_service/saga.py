"""The settlement saga's state machine (DESIGN §5): guarded transitions, history, outbox.

Every change is ``UPDATE orders SET state = new WHERE order_no = ? AND state = expected``
in one transaction with the history row and the outbox row of the next step, so a crash
between steps leaves an order that the worker resumes exactly where it stopped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud_service.errors import CloudError
from cloud_service.models import Order, OrderEvent, OutboxStep
from envelope import clock, codes

CREATED = "CREATED"
PRESETTLED = "PRESETTLED"
AWAITING_PAYMENT = "AWAITING_PAYMENT"
PAID = "PAID"
INSURANCE_SETTLED = "INSURANCE_SETTLED"
CONFIRMED = "CONFIRMED"
CANCELLED = "CANCELLED"
CLOSED = "CLOSED"
REFUNDING = "REFUNDING"
REFUNDED = "REFUNDED"
PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"  # part of a confirmed order refunded at the window
REVERSING = "REVERSING"


class RetryLater(Exception):
    """A step could not finish now (outcome unknown or a peer down); run it again later.

    ``not_before``: the step cannot succeed before then (a deadline not reached yet), so its
    row waits for it instead of being tried every minute."""

    def __init__(self, reason: str, not_before: datetime | None = None) -> None:
        super().__init__(reason)
        self.not_before = not_before


FINAL = frozenset({CONFIRMED, CANCELLED, CLOSED, REFUNDED, PARTIALLY_REFUNDED})

# Which state may follow which. Self-pay skips the insurance states; a zero-cash insured
# order goes from PRESETTLED straight to INSURANCE_SETTLED.
ALLOWED: dict[str, frozenset[str]] = {
    CREATED: frozenset({PRESETTLED, AWAITING_PAYMENT, CANCELLED}),
    PRESETTLED: frozenset({AWAITING_PAYMENT, INSURANCE_SETTLED, CANCELLED}),
    AWAITING_PAYMENT: frozenset({PAID, CLOSED}),
    PAID: frozenset({INSURANCE_SETTLED, CONFIRMED, REFUNDING}),
    INSURANCE_SETTLED: frozenset({CONFIRMED, REVERSING}),
    # A confirmed order is done; money goes back only by a refund recorded at the window (6003)
    # or, where the hospital's policy allows, one the patient asks for by the original route.
    # 6002 (clinic stopped) also undoes a confirmed insured registration: reversal first.
    CONFIRMED: frozenset({REFUNDED, PARTIALLY_REFUNDED, REFUNDING, REVERSING}),
    # Each further window refund keeps it partly refunded until nothing is left to refund.
    PARTIALLY_REFUNDED: frozenset({PARTIALLY_REFUNDED, REFUNDED}),
    REVERSING: frozenset({REFUNDING, REFUNDED}),
    REFUNDING: frozenset({REFUNDED}),
}


def move(
    session: Session,
    order_no: str,
    expected: str,
    new: str,
    *,
    note: str = "",
    step: str | None = None,
    step_due: datetime | None = None,
    guard: tuple[Any, ...] = (),
    **fields: Any,
) -> None:
    """Guarded transition with history and (optionally) the next outbox step.

    ``guard``: further conditions the row must meet (e.g. the refunded amount read before),
    so that two writers who read the same row cannot both pass.
    Raises 2014 when the order is no longer in ``expected`` (someone else moved it).
    """
    if new not in ALLOWED.get(expected, frozenset()):
        raise ValueError(f"transition {expected} -> {new} is not in the saga")
    now = clock.now()
    result = session.execute(
        update(Order)
        .where(Order.order_no == order_no, Order.state == expected, *guard)
        .values(state=new, updated_at=now, **fields)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CloudError(codes.ORDER_STATE_CONFLICT, "订单状态已变化，请刷新后重试")
    session.add(OrderEvent(order_no=order_no, from_state=expected, to_state=new, note=note, at=now))
    if step is not None:
        enqueue(session, order_no, step, step_due or now)


def enqueue(session: Session, order_no: str, step: str, due_at: datetime) -> None:
    """Add an outbox row for the order's next step."""
    session.add(OutboxStep(order_no=order_no, step=step, due_at=due_at, attempts=0))


def record_created(session: Session, order: Order, note: str) -> None:
    """Insert a new order and the first line of its history."""
    session.add(order)
    session.flush()
    session.add(
        OrderEvent(
            order_no=order.order_no, from_state="", to_state=order.state, note=note, at=clock.now()
        )
    )


def claim_due(
    session: Session, limit: int, lease_seconds: int = 30, order_no: str | None = None
) -> list[OutboxStep]:
    """Lease up to ``limit`` due outbox rows (a row leased by another worker is skipped)."""
    now = clock.now()
    free = OutboxStep.leased_until.is_(None) | (OutboxStep.leased_until < now)
    query = select(OutboxStep).where(OutboxStep.done_at.is_(None), OutboxStep.due_at <= now, free)
    if order_no is not None:
        query = query.where(OutboxStep.order_no == order_no)
    # a few more than asked: drainers looking at once all see the same first rows
    candidates = session.scalars(query.order_by(OutboxStep.due_at).limit(limit + 8)).all()
    claimed: list[OutboxStep] = []
    for row in candidates:
        if len(claimed) == limit:
            break
        result = session.execute(
            update(OutboxStep)
            .where(
                OutboxStep.id == row.id,
                OutboxStep.done_at.is_(None),
                (OutboxStep.leased_until.is_(None)) | (OutboxStep.leased_until < now),
            )
            .values(
                leased_until=now + timedelta(seconds=lease_seconds),
                attempts=OutboxStep.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row)
    return claimed


def finish_step(session: Session, step_id: int) -> None:
    """Mark an outbox row done."""
    session.execute(
        update(OutboxStep)
        .where(OutboxStep.id == step_id)
        .values(done_at=clock.now(), leased_until=None)
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
        update(OutboxStep)
        .where(OutboxStep.id == step_id)
        .values(due_at=due, leased_until=None, last_error=error[:500])
    )


# The step that moves an order on from each non-final state; recovery re-enqueues it when a
# crash left a non-final order without a pending outbox row.
NEXT_STEP: dict[str, str] = {
    CREATED: "lock_query",  # "expire" instead when the lock is known
    PRESETTLED: "expire",
    AWAITING_PAYMENT: "payment_deadline",
    PAID: "settle",
    INSURANCE_SETTLED: "confirm",
    REVERSING: "reverse",
    REFUNDING: "refund",
}


def next_step(state: str, pay_mode: str, has_lock: bool) -> str | None:
    """The step that moves a non-final order on (None for a final state)."""
    if state == PAID and pay_mode != "INSURANCE":
        return "confirm"  # self-pay skips the insurance settle
    if state == CREATED and has_lock:
        return "expire"
    return NEXT_STEP.get(state)
