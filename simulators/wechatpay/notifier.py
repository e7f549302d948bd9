"""Payment and refund notifications: queued in the database, delivered by a background thread in
every worker, retried on WeChat Pay's schedule until the merchant answers 200 or 204.

Each due row is leased in a transaction before it is sent, so several gunicorn workers
share one queue without sending a notification twice at once."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from envelope import clock
from simulators.delivery import Deliveries, queued
from simulators.wechatpay.models import Notification, Trade
from simulators.wechatpay.signing import Platform, seal_resource, signed_headers
from simulators.wechatpay.trades import transaction_view

log = logging.getLogger("simulators.wechatpay.notifier")


def enqueue_event(
    session: Session,
    platform: Platform,
    out_trade_no: str,
    notify_url: str,
    event: tuple[str, str, str],
    resource: dict[str, Any],
) -> Notification:
    """Queue one event (event_type, summary, original_type) with its sealed resource."""
    event_type, summary, original_type = event
    body = {
        "id": str(uuid.uuid4()),
        "create_time": clock.now_iso(),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": seal_resource(platform.apiv3_key, resource, original_type),
    }
    notification: Notification = queued(
        Notification,
        id=body["id"],
        out_trade_no=out_trade_no,
        notify_url=notify_url,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
    )
    session.add(notification)
    return notification


def enqueue_success(session: Session, platform: Platform, trade: Trade) -> Notification:
    """Queue the TRANSACTION.SUCCESS event of a paid trade, due at once."""
    return enqueue_event(
        session,
        platform,
        trade.out_trade_no,
        trade.notify_url,
        ("TRANSACTION.SUCCESS", "支付成功", "transaction"),
        transaction_view(trade),
    )


class Notifier(Deliveries):
    """WeChat Pay's deliveries: the sealed event, signed in the headers; 200/204 stops them."""

    channel = "wechatpay"
    model = Notification
    key_field = "id"  # the event id
    payload_field = "body"  # the event's JSON body

    def __init__(
        self,
        factory: sessionmaker[Session],
        platform: Platform,
        schedule: tuple[float, ...],
        poll_seconds: float = 0.2,
        tasks: tuple[Callable[[], object], ...] = (),
    ) -> None:
        super().__init__(factory, schedule, poll_seconds, tasks)
        self.platform = platform

    def deliver(self, url: str, payload: str) -> tuple[bool, str]:
        """Post the event; WeChat Pay counts 200 or 204 as taken."""
        status = self._send(url, payload.encode())
        return status in ("200", "204"), status

    def _send(self, url: str, body: bytes) -> str:
        headers = signed_headers(self.platform, body)
        headers["Content-Type"] = "application/json"
        answer = self.post(url, data=body, headers=headers)
        return answer if isinstance(answer, str) else str(answer.status_code)
