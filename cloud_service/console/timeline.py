"""An order's timeline across the zones: the cloud's state history plus the gateway's audit
rows of the order's trace_id (every envelope that crossed the DMZ for it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import requests

from cloud_service.deps import Deps
from cloud_service.models import Order
from cloud_service.saga import orders
from envelope import clock

log = logging.getLogger(__name__)

ZONE_OF_RECEIVER = {"HIP": "intranet (HIS)", "INSFE": "insurance line", "CLOUD": "Internet"}


class AuditUnavailable(Exception):
    """The gateway's audit could not be asked (no token set, gateway down, refused)."""


class AuditSource(Protocol):
    """Where the gateway's audit rows of a trace come from."""

    def by_trace(self, trace_id: str) -> list[dict[str, Any]]:
        """Audit rows of one trace, oldest first."""
        ...


@dataclass(frozen=True)
class GatewayAudit:
    """GET <gateway>/audit?trace_id=... with the audit bearer token."""

    base_url: str
    token: str
    session: requests.Session
    timeout_seconds: float = 5.0

    def by_trace(self, trace_id: str) -> list[dict[str, Any]]:
        """Audit rows of one trace, oldest first; AuditUnavailable when it cannot be had."""
        if not self.token:
            raise AuditUnavailable("GATEWAY_AUDIT_TOKEN is not set")
        try:
            answer = self.session.get(
                f"{self.base_url}/audit",
                params={"trace_id": trace_id},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout_seconds,
            )
        except requests.RequestException as exc:
            raise AuditUnavailable(f"gateway unreachable: {type(exc).__name__}") from exc
        if answer.status_code != 200:
            raise AuditUnavailable(f"gateway answered HTTP {answer.status_code}")
        records = answer.json().get("records")
        if not isinstance(records, list):
            raise AuditUnavailable("gateway answered no records")
        return records


def gateway_base(gateway_url: str) -> str:
    """The gateway's base URL: GATEWAY_URL without its /gateway path."""
    url = gateway_url.rstrip("/")
    return url[: -len("/gateway")] if url.endswith("/gateway") else url


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: str
    zone: str
    what: str
    detail: str


def _order_entries(deps: Deps, order: Order) -> list[Entry]:
    return [
        Entry(
            clock.iso(event.at),
            "cloud",
            f"{event.from_state or '-'} → {event.to_state}",
            event.note,
        )
        for event in orders.history(deps, order.order_no)
    ]


def _audit_entry(row: dict[str, Any]) -> Entry:
    zone = ZONE_OF_RECEIVER.get(str(row.get("receiver")), str(row.get("receiver")))
    return Entry(
        str(row.get("at", "")),
        f"gateway → {zone}" if row.get("direction") == "IN" else f"gateway ← {zone}",
        f"{row.get('trade_code')} {row.get('sender')}→{row.get('receiver')}",
        f"result {row.get('result_code')}, {row.get('latency_ms')} ms, msg {row.get('msg_id')}",
    )


def _moment(entry: Entry) -> datetime:
    """When an entry happened; both zones write ISO 8601 with an offset."""
    try:
        return clock.parse_iso(entry.at)
    except ValueError:
        return datetime.min.replace(tzinfo=clock.SHANGHAI)


def order_timeline(deps: Deps, order_no: str, audit: AuditSource) -> dict[str, Any]:
    """The order, its merged timeline (oldest first) and why the gateway part may be missing."""
    order = orders.reload(deps, order_no)
    entries = _order_entries(deps, order)
    audit_note = ""
    try:
        entries += [_audit_entry(row) for row in audit.by_trace(order.trace_id)]
    except AuditUnavailable as exc:
        log.warning("gateway audit unavailable for order %s: %s", order_no, exc)
        audit_note = str(exc)
    entries.sort(key=_moment)
    return {"order": order, "entries": entries, "audit_note": audit_note}
