"""Asynchronous notifications: queued in the database as signed forms, POSTed by a
background thread in every worker, retried on Alipay's schedule (4m, 10m, 10m, 1h, 2h,
6h, 15h) with the same notify_id until the merchant answers exactly ``success``.

Each due row is leased in a transaction before it is sent, so several gunicorn workers
share one queue without sending a notification twice at once."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from servicekit.metrics import record_notification
from simulators.alipay.models import Notification, Refund, Trade
from simulators.alipay.signing import Platform, sign_notification
from simulators.alipay.trades import now_text, yuan

log = logging.getLogger("simulators.alipay.notifier")
LEASE_SECONDS = 30.0
DELIVERY_TIMEOUT_SECONDS = 5.0
ACKNOWLEDGEMENT = "success"


def notice_fields(platform: Platform, trade: Trade, refund: Refund | None) -> dict[str, str]:
    """The trade_status_sync form fields of a paid (or refunded) trade, unsigned."""
    amount = yuan(trade.amount_fen)
    fields = {
        "notify_time": now_text(),
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "app_id": trade.app_id,
        "auth_app_id": trade.app_id,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "trade_status": trade.trade_status,
        "subject": trade.subject,
        "total_amount": amount,
        "receipt_amount": amount,
        "invoice_amount": amount,
        "buyer_pay_amount": amount,
        "point_amount": "0.00",
        "gmt_create": trade.gmt_create,
        "gmt_payment": trade.gmt_payment,
        "gmt_close": trade.gmt_close,
        "seller_id": platform.seller_id,
        "buyer_id": trade.buyer_user_id,
        "buyer_logon_id": trade.buyer_logon_id,
        "fund_bill_list": json.dumps(
            [{"amount": amount, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
        ),
    }
    if refund is not None:
        fields.update(
            out_biz_no=refund.out_request_no,
            refund_fee=yuan(trade.refunded_fen),
            gmt_refund=refund.gmt_refund_pay + ".000",
        )
    return fields


def enqueue(
    session: Session, platform: Platform, trade: Trade, refund: Refund | None = None
) -> Notification | None:
    """Queue the signed notification of a trade's change, due at once (none without a
    notify_url, as with the real gateway)."""
    if not trade.notify_url:
        return None
    form = sign_notification(platform, notice_fields(platform, trade, refund))
    notification = Notification(
        notify_id=form["notify_id"],
        out_trade_no=trade.out_trade_no,
        notify_url=trade.notify_url,
        form=json.dumps(form, ensure_ascii=False),
        state="PENDING",
        attempts=0,
        next_attempt_at=time.time(),
        lease_until=0.0,
        last_status="",
    )
    session.add(notification)
    return notification


class Notifier:
    """Sends due notifications; one per worker process, started by create_app."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        schedule: tuple[float, ...],
        poll_seconds: float = 0.2,
    ) -> None:
        self.factory = factory
        self.schedule = schedule
        self.poll_seconds = poll_seconds
        self.http = requests.Session()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the delivery thread (a daemon: it dies with the worker)."""
        self._thread = threading.Thread(target=self._loop, name="alipay-notifier", daemon=True)
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
        """Deliver every notification that is due now; the number attempted."""
        due = self._claim()
        for notify_id, url, form in due:
            self._record(notify_id, self._send(url, json.loads(form)))
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
            return [(row.notify_id, row.notify_url, row.form) for row in rows]

    def _send(self, url: str, form: dict[str, str]) -> str:
        try:
            answer = self.http.post(url, data=form, timeout=DELIVERY_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            return type(exc).__name__
        if answer.status_code == 200 and answer.text == ACKNOWLEDGEMENT:
            return ACKNOWLEDGEMENT
        return f"{answer.status_code} {answer.text[:40]}"

    def _record(self, notify_id: str, status: str) -> None:
        with transaction(self.factory) as session:
            row = session.get(Notification, notify_id)
            if row is None:
                return
            row.attempts += 1
            row.last_status = status
            row.lease_until = 0.0
            record_notification("alipay", row.attempts, status == ACKNOWLEDGEMENT)
            if status == ACKNOWLEDGEMENT:
                row.state = "DELIVERED"
            elif row.attempts > len(self.schedule):
                row.state = "FAILED"
            else:
                row.next_attempt_at = time.time() + self.schedule[row.attempts - 1]
        log.info("notification %s attempt -> %s", notify_id, status)
