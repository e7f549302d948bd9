"""The 6xxx notices the hospital sends out through the gateway, served at ``POST /envelope``.

6001 report ready: acknowledged (the app reads reports live; only the report_id is logged).
6002 clinic stopped: acknowledged; the refunds of affected orders run through a hook.
6003 window refund done: the order is marked (partly) refunded with the window's facts, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint

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
from servicekit import metrics

log = logging.getLogger(__name__)

NoticeHandler = Callable[[Deps, Incoming], dict[str, Any]]
# 6002's hook: (deps, schedule_id, reason) -> how many orders it put on the refund path.
ClinicStoppedHook = Callable[[Deps, str, str], int]


def report_ready(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """6001: acknowledge; nothing personal is stored or logged."""
    log.info("report %s is ready", incoming.body["report_id"])
    return {"ack": True}


def window_refund_done(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """6003: record the refund made at the window, once per refund_no; the HIS's retry of a
    notice already recorded is acknowledged again (its outbox must be able to finish)."""
    order_no = str(incoming.body["order_no"])
    try:
        state = record_window_refund(
            deps,
            order_no,
            dict(incoming.body),
            source="6003",
            recorded_by=str(incoming.header.get("operator") or incoming.header["sender"]),
        )
    except DuplicateRefund:
        return {"ack": True, "order_no": order_no, "duplicate": True}
    except CloudError as exc:
        raise EnvelopeError(exc.result_code, exc.result_msg) from exc
    return {"ack": True, "order_no": order_no, "state": state}


def clinic_stopped_handler(hook: ClinicStoppedHook | None) -> NoticeHandler:
    """6002: acknowledge, and hand the stopped schedule to the hook (when one is wired)."""

    def clinic_stopped(deps: Deps, incoming: Incoming) -> dict[str, Any]:
        schedule_id, reason = str(incoming.body["schedule_id"]), str(incoming.body["reason"])
        log.info("clinic stopped for schedule %s: %s", schedule_id, reason)
        if hook is None:
            return {"ack": True}
        try:
            affected = hook(deps, schedule_id, reason)
        except CloudError as exc:
            raise EnvelopeError(exc.result_code, exc.result_msg) from exc
        return {"ack": True, "affected_orders": affected}

    return clinic_stopped


def handlers(on_clinic_stopped: ClinicStoppedHook | None = None) -> dict[str, NoticeHandler]:
    """The dispatch table of the notices: trade code -> handler taking deps."""
    return {
        "6001": report_ready,
        "6002": clinic_stopped_handler(on_clinic_stopped),
        "6003": window_refund_done,
    }


def notices_blueprint(
    ring: KeyRing,
    redis_client: object,
    deps_getter: Callable[[], Deps],
    on_clinic_stopped: ClinicStoppedHook | None = None,
) -> Blueprint:
    """``POST /envelope`` for the notices HIP and INSFE send, relayed on the CLOUD link."""
    verifier = Verifier(
        [Link(ring, frozenset({HIP, INSFE}))], RedisNonceStore(redis_client, "cloud")
    )

    def bind(handler: NoticeHandler) -> Callable[[Incoming], dict[str, Any]]:
        return lambda incoming: handler(deps_getter(), incoming)

    table = {code: bind(handler) for code, handler in handlers(on_clinic_stopped).items()}
    return EnvelopeEndpoint(
        CLOUD, verifier, table, on_result=metrics.envelope_recorder("cloud_service")
    ).blueprint()
