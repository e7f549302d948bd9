"""A registration's slot lock: stored with the step that gives it up, when it expires, and
giving it back to the HIS (2007)."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta

from cloud_service.deps import Deps
from cloud_service.models import Order
from cloud_service.saga import calls
from cloud_service.saga.outbox import RetryLater, enqueue
from cloud_service.saga.states import Step
from envelope import clock, codes
from envelope.messages.his_answers import LockAnswer, RegistrationAnswer
from servicekit.db import transaction

log = logging.getLogger(__name__)

# What 2007 answers when the HIS holds the slot no more: released now or before (0000), a
# lock it never knew (2008) or one that lapsed (2003). Any other answer may leave it held.
LOCK_GONE = frozenset({codes.SUCCESS, codes.RECORD_NOT_FOUND, codes.LOCK_EXPIRED})


def store_lock(deps: Deps, order_no: str, lock: LockAnswer | RegistrationAnswer) -> Order:
    """Keep the HIS's lock (2006, or 2010 after a lost reply) on the order and, in the same
    commit, the "expire" step that gives it up if it is not paid in time: were they apart, a
    crash in between would leave a lock that nothing gives back until the recovery sweep."""
    with transaction(deps.sessions) as session:
        order = session.get(Order, order_no)
        assert order is not None
        order.lock_id = lock.lock_id
        order.total_fen = lock.fees.total
        order.visit_date = lock.visit_date
        order.result_json = json.dumps({"lock_status": lock.status, "expires_at": lock.expires_at})
        enqueue(session, order_no, Step.EXPIRE, expiry(deps, order))
        return order


def end_of_day(day: str) -> datetime:
    """Midnight after a day (yyyy-mm-dd) in Asia/Shanghai."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(), clock.SHANGHAI)


def expiry(deps: Deps, order: Order) -> datetime:
    """When an unpaid order holding a slot is given up. A booking for a later day may be
    paid on its visit day only (patient.start_payment), so it lasts until that day is over;
    a lock for today lasts the payment window."""
    booked_on = order.created_at.astimezone(clock.SHANGHAI).date()
    if order.visit_date and order.visit_date > booked_on.isoformat():  # both yyyy-mm-dd
        return end_of_day(order.visit_date)
    return order.created_at + deps.payment_window


def release_lock(deps: Deps, order: Order) -> None:
    """Give an unpaid registration's slot back (2007); a lock already gone is fine, and
    anything else is tried again: the order is not closed while the HIS may hold its slot."""
    if order.kind != "REG" or not order.lock_id:
        return
    reply = calls.release_slot(deps, order)
    if reply.result_code == codes.PAST_CUTOFF and order.visit_date:
        # The HIS cancels a booking only until its clinic opens and then keeps it as a
        # no-show: once the visit day is over, that holds nothing anyone could use.
        day_over = end_of_day(order.visit_date)
        if clock.now() >= day_over:
            log.info("order %s: booking past its cut-off left to lapse", order.order_no)
            return
        raise RetryLater(f"booking kept until its day is over: {reply.result_msg}", day_over)
    if reply.result_code not in LOCK_GONE:
        raise RetryLater(f"slot not released ({reply.result_code} {reply.result_msg})")
    if deps.slot_gate is not None:
        deps.slot_gate.give_back(order.schedule_id)
