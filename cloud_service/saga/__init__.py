"""The order life cycle (DESIGN §5), one package read top to bottom:

- ``states``: the one table of states: allowed moves, next step, what undoes each;
- ``transitions``: the guarded move (returning the moved order) and the first history line;
- ``outbox``: add, claim, finish and retry the steps that drive the saga;
- ``calls``: each hospital call the life cycle makes, one small function per trade code;
- ``patient``: the patient-driven half (create an order, start paying); ``orders`` reads them;
- ``payments``: money arriving from a channel; ``steps``: the system-driven half;
- ``lock``: a slot's lock (stored with its expire step, expiry, release);
- ``undo``: the one way money goes back (reverse insurance, refund cash), which the saga's
  compensation, ``clinic_stopped`` (6002) and the reconciliation repairs use;
- ``window_refunds``: refunds the hospital made at its window (6003, the console);
- ``worker``: drains the outbox and resumes what a crash left behind.

This module re-exports the states, the move and the outbox, so ``saga.CONFIRMED`` or
``saga.move`` read as before; the other modules are imported by name.
"""

from __future__ import annotations

from cloud_service.saga.outbox import RetryLater, claim_due, enqueue, finish_step, retry_step
from cloud_service.saga.states import (
    ALLOWED,
    FINAL,
    LIFE_CYCLE,
    NEXT_STEP,
    Stage,
    State,
    Step,
    next_step,
)
from cloud_service.saga.transitions import move, record_created

CREATED = State.CREATED
PRESETTLED = State.PRESETTLED
AWAITING_PAYMENT = State.AWAITING_PAYMENT
PAID = State.PAID
INSURANCE_SETTLED = State.INSURANCE_SETTLED
CONFIRMED = State.CONFIRMED
CANCELLED = State.CANCELLED
CLOSED = State.CLOSED
REFUNDING = State.REFUNDING
REFUNDED = State.REFUNDED
PARTIALLY_REFUNDED = State.PARTIALLY_REFUNDED
REVERSING = State.REVERSING

__all__ = [
    "ALLOWED",
    "AWAITING_PAYMENT",
    "CANCELLED",
    "CLOSED",
    "CONFIRMED",
    "CREATED",
    "FINAL",
    "INSURANCE_SETTLED",
    "LIFE_CYCLE",
    "NEXT_STEP",
    "PAID",
    "PARTIALLY_REFUNDED",
    "PRESETTLED",
    "REFUNDED",
    "REFUNDING",
    "REVERSING",
    "RetryLater",
    "Stage",
    "State",
    "Step",
    "claim_due",
    "enqueue",
    "finish_step",
    "move",
    "next_step",
    "record_created",
    "retry_step",
]
