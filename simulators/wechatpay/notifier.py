"""Payment and refund notifications: queued in the database, delivered by a background thread in
every worker, retried on WeChat Pay's schedule until the merchant answers 200 or 204.

Each due row is leased in a transaction before it is sent, so several gunicorn workers
share one queue without sending a notification twice at once."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock
from servicekit.db import transaction
from servicekit.metrics import record_notification
from simulators.wechatpay.models import Notification, Trade
from simulators.wechatpay.signing import Platform, seal_resource, signed_headers
from simulators.wechatpay.trades import transaction_view

log = logging.getLogger("simulators.wechatpay.notifier")
LEASE_SECONDS = 30.0
DELIVERY_TIMEOUT_SECONDS = 5.0


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
    notification = Notification(
        id=body["id"],
        out_trade_no=out_trade_no,
        notify_url=notify_url,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        state="PENDING",
        attempts=0,
        next_attempt_at=time.time(),
        lease_until=0.0,
        last_status="",
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


class Notifier:
    """Sends due notifications; one per worker process, started by create_app."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        platform: Platform,
        schedule: tuple[float, ...],
        poll_seconds: float = 0.2,
        tasks: tuple[Callable[[], object], ...] = (),
    ) -> None:
        self.factory = factory
        self.platform = platform
        self.schedule = schedule
        self.poll_seconds = poll_seconds
        self.tasks = tasks  # run before each round, e.g. settling refunds that are due
        self.http = requests.Session()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the delivery thread (a daemon: it dies with the worker)."""
        self._thread = threading.Thread(target=self._loop, name="wechatpay-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.http.close()

    def wake(self) -> None:
        """Look for due notifications now instead of at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("notification round failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def run_once(self) -> int:
        """Run the round's tasks, then deliver every notification due now; the number sent."""
        for task in self.tasks:
            task()
        due = self._claim()
        for notification_id, url, body in due:
            status = self._send(url, body.encode())
            self._record(notification_id, status)
        return len(due)

    def _claim(self) -> list[tuple[str, str, str]]:
        now = time.time()
        with transaction(self.factory) as session:
            rows = session.scalars(
                select(Notification)
                .where(
                    Notification.state == "PENDING",
                    Notification.next_attempt_at <= now,
                    Notification.lease_until <= now,
                )
                .order_by(Notification.next_attempt_at)
                .limit(20)
            ).all()
            for row in rows:
                row.lease_until = now + LEASE_SECONDS
            return [(row.id, row.notify_url, row.body) for row in rows]

    def _send(self, url: str, body: bytes) -> str:
        headers = signed_headers(self.platform, body)
        headers["Content-Type"] = "application/json"
        try:
            answer = self.http.post(
                url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS
            )
        except requests.RequestException as exc:
            return type(exc).__name__
        return str(answer.status_code)

    def _record(self, notification_id: str, status: str) -> None:
        with transaction(self.factory) as session:
            row = session.get(Notification, notification_id)
            if row is None:
                return
            row.attempts += 1
            row.last_status = status
            row.lease_until = 0.0
            record_notification("wechatpay", row.attempts, status in ("200", "204"))
            if status in ("200", "204"):
                row.state = "DELIVERED"
            elif row.attempts > len(self.schedule):
                row.state = "FAILED"
            else:
                row.next_attempt_at = time.time() + self.schedule[row.attempts - 1]
        log.info("notification %s attempt -> %s", notification_id, status)
