"""The "reverse" step: undo an insurance settlement the hospital could not confirm (4006),
then hand the cash part to the refund step."""

from __future__ import annotations

import logging

from cloud_service import saga
from cloud_service.deps import Deps
from cloud_service.models import Order
from servicekit.db import transaction

log = logging.getLogger(__name__)


def reverse_settlement(deps: Deps, order: Order) -> None:
    """REVERSING: 4006 (idempotent on order_no); on a lost reply ask 4007 before anything."""
    if order.state != saga.REVERSING:
        return
    reply = deps.hospital.call(
        "4006",
        {"order_no": order.order_no, "reason": (order.failure or "hospital refused")[:200]},
        trace_id=order.trace_id,
        channel=order.entry,
    )
    if not reply.ok:
        status = deps.hospital.call(
            "4007", {"order_no": order.order_no}, trace_id=order.trace_id, channel=order.entry
        )
        if not (status.ok and status.body.get("status") in ("REVERSED", "NONE", "PRESETTLED")):
            raise saga.RetryLater(f"reversal not confirmed: {reply.result_code} {reply.result_msg}")
    log.info("order %s: insurance settlement reversed", order.order_no)
    with transaction(deps.sessions) as session:
        if order.cash_fen > 0:
            saga.move(
                session,
                order.order_no,
                saga.REVERSING,
                saga.REFUNDING,
                note="insurance settlement reversed; refunding the cash part",
                step="refund",
            )
        else:
            saga.move(
                session,
                order.order_no,
                saga.REVERSING,
                saga.REFUNDED,
                note="insurance settlement reversed; nothing was paid in cash",
            )
