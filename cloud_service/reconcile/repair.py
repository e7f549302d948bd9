"""Repairs by rule, each one audited: reverse an orphan insurance settlement and refund an
orphan payment by its original route (both through the saga's one undo path, saga.undo),
complete a stuck confirm by driving the saga."""

from __future__ import annotations

import logging
from collections.abc import Callable

from cloud_service import saga
from cloud_service.channels.base import ChannelError
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order
from cloud_service.reconcile.audit import record_operation
from cloud_service.reconcile.classify import (
    COMPLETE_STUCK_CONFIRM,
    REFUND_ORPHAN_PAYMENT,
    REVERSE_ORPHAN_SETTLEMENT,
    Difference,
)
from cloud_service.saga import undo
from cloud_service.saga.worker import drive
from servicekit.db import transaction

log = logging.getLogger(__name__)
ACTOR = "reconciliation"


def _reverse(deps: Deps, order: Order) -> str:
    return f"reversed {undo.reverse_insurance(deps, order, 'reconciliation: orphan settlement')}"


def _refund(deps: Deps, order: Order) -> str:
    assert order.out_trade_no is not None
    trade = deps.channels[order.channel].query(order.out_trade_no)
    if trade.state != "SUCCESS":  # REFUND: already paid back; NOTPAY, CLOSED: never paid
        return f"nothing to refund: the channel says {trade.state}"
    refund = undo.refund_cash(deps, order, trade.amount_fen)  # what the channel took
    if refund.status in ("ABNORMAL", "CLOSED"):  # the money did not go back: a person's case
        raise RuntimeError(f"refund {refund.out_refund_no} {refund.status}")
    return f"refund {refund.out_refund_no} {refund.status} {refund.amount_fen} fen"


def _complete(deps: Deps, order: Order) -> str:
    step = saga.next_step(order.state, order.pay_mode, order.lock_id is not None)
    if step is None:
        return f"already {order.state}"
    with transaction(deps.sessions) as session:
        saga.enqueue(session, order.order_no, step, order.created_at)
    drive(deps, order.order_no)
    with deps.sessions() as session:
        now = session.get(Order, order.order_no)
    return f"saga driven on: now {now.state if now else '?'}"


RULES: dict[str, Callable[[Deps, Order], str]] = {
    REVERSE_ORPHAN_SETTLEMENT: _reverse,
    REFUND_ORPHAN_PAYMENT: _refund,
    COMPLETE_STUCK_CONFIRM: _complete,
}


def repair(deps: Deps, difference: Difference, day: str, actor: str = ACTOR) -> None:
    """Apply the difference's rule, audit it under ``actor`` (the daily job, or the member
    of staff who asked from the console), and set its status (REPAIRED or FAILED)."""
    with deps.sessions() as session:
        order = session.get(Order, difference.order_no)
    rule = RULES.get(difference.repair)
    if rule is None or order is None:
        difference.status = "FOR_PERSON"
        return
    try:
        outcome = rule(deps, order)
        difference.status = "REPAIRED"
    except (ChannelError, CloudError, RuntimeError, saga.RetryLater) as exc:
        log.error("repair %s of %s failed: %s", difference.repair, order.order_no, exc)
        outcome = f"failed: {exc}"[:300]
        difference.status = "FAILED"
    difference.audit_id = record_operation(
        deps,
        actor,
        difference.repair,
        order.order_no,
        {"day": day, "kind": difference.kind, "detail": difference.detail, "outcome": outcome},
    )
