"""The 6xxx notices the hospital sends out through the gateway, served at ``POST /envelope``.

6001 report ready: acknowledged (the app reads reports live; only the report_id is logged).
6002 clinic stopped: acknowledged; the refunds of affected orders run through a hook.
6003 window refund done: the order is marked (partly) refunded with the window's facts, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.saga.window_refunds import DuplicateRefund, record_window_refund
from envelope import (
    CLOUD,
    HIP,
    INSFE,
    EnvelopeEndpoint,
    EnvelopeError,
    Incoming,
    KeyRing,
    Link,
    RedisNonceStore,
    Verifier,
)
from envelope.messages import Message
from envelope.messages.cloud import (
    ClinicStopped,
    ClinicStoppedAck,
    NoticeAck,
    ReportReady,
    WindowRefund,
    WindowRefundAck,
)
from envelope.server import Handler
from envelope.trades import Trade
from servicekit import metrics

log = logging.getLogger(__name__)

# 6002's hook: (deps, schedule_id, reason) -> how many orders it put on the refund path.
ClinicStoppedHook = Callable[[Deps, str, str], int]


@dataclass(frozen=True)
class Notices:
    """What a notice handler works with: the cloud's deps (read per request) and 6002's hook."""

    deps: Deps
    on_clinic_stopped: ClinicStoppedHook | None = None


NoticeHandler = Callable[[Notices, Incoming], Message]


def report_ready(notices: Notices, incoming: Incoming) -> NoticeAck:
    """6001: acknowledge; nothing personal is stored or logged."""
    log.info("report %s is ready", incoming.typed(ReportReady).report_id)
    return NoticeAck(ack=True)


def window_refund_done(notices: Notices, incoming: Incoming) -> WindowRefundAck:
    """6003: record the refund made at the window, once per refund_no; the HIS's retry of a
    notice already recorded is acknowledged again (its outbox must be able to finish)."""
    notice = incoming.typed(WindowRefund)
    try:
        state = record_window_refund(
            notices.deps,
            notice.order_no,
            notice.model_dump(exclude_none=True),
            source=Trade.WINDOW_REFUND,
            recorded_by=str(incoming.header.get("operator") or incoming.header["sender"]),
        )
    except DuplicateRefund:
        return WindowRefundAck(ack=True, order_no=notice.order_no, duplicate=True)
    except CloudError as exc:
        raise EnvelopeError(exc.result_code, exc.result_msg) from exc
    return WindowRefundAck(ack=True, order_no=notice.order_no, state=state)


def clinic_stopped(notices: Notices, incoming: Incoming) -> NoticeAck:
    """6002: acknowledge, and hand the stopped schedule to the hook (when one is wired)."""
    notice = incoming.typed(ClinicStopped)
    log.info("clinic stopped for schedule %s: %s", notice.schedule_id, notice.reason)
    if notices.on_clinic_stopped is None:
        return NoticeAck(ack=True)
    try:
        affected = notices.on_clinic_stopped(notices.deps, notice.schedule_id, notice.reason)
    except CloudError as exc:
        raise EnvelopeError(exc.result_code, exc.result_msg) from exc
    return ClinicStoppedAck(ack=True, affected_orders=affected)


HANDLERS: dict[Trade, NoticeHandler] = {
    Trade.REPORT_READY: report_ready,
    Trade.CLINIC_STOPPED: clinic_stopped,
    Trade.WINDOW_REFUND: window_refund_done,
}


def notices_endpoint(
    ring: KeyRing,
    redis_client: object,
    deps_getter: Callable[[], Deps],
    on_clinic_stopped: ClinicStoppedHook | None = None,
) -> EnvelopeEndpoint:
    """``POST /envelope`` for the notices HIP and INSFE send, relayed on the CLOUD link
    (``.install(app)`` serves it straight from WSGI)."""
    verifier = Verifier(
        [Link(ring, frozenset({HIP, INSFE}))], RedisNonceStore(redis_client, "cloud")
    )

    def bind(handler: NoticeHandler) -> Callable[[Incoming], Message]:
        return lambda incoming: handler(Notices(deps_getter(), on_clinic_stopped), incoming)

    table: dict[str, Handler] = {code: bind(handler) for code, handler in HANDLERS.items()}
    return EnvelopeEndpoint(
        CLOUD, verifier, table, on_result=metrics.envelope_recorder("cloud_service")
    )
