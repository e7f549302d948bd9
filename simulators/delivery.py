"""What both payment simulators do to notify a merchant: a delivery thread per worker that
leases due notifications in the database (so several workers never send one twice), posts
them side by side (a real channel does not wait for one merchant answer before the next),
and schedules the next attempt on the channel's retry schedule until acknowledged."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from sqlalchemy import Float, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from servicekit.db import transaction
from servicekit.metrics import record_notification
from simulators.db import any_row

log = logging.getLogger("simulators.delivery")

LEASE_SECONDS = 30.0
DELIVERY_TIMEOUT_SECONDS = 5.0
SENDERS = 8  # notifications posted at once


class DeliveryColumns:
    """A notification model's delivery record: where it goes, its state (PENDING, DELIVERED,
    FAILED), the attempts made, when the next is due and the lease on it (Unix seconds)."""

    notify_url: Mapped[str] = mapped_column(String(256))
    state: Mapped[str] = mapped_column(String(16), default="PENDING", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float, index=True)
    lease_until: Mapped[float] = mapped_column(Float, default=0.0)
    last_status: Mapped[str] = mapped_column(String(64), default="")


def queued(model: Any, **fields: Any) -> Any:
    """A new notification row of ``model`` (with ``DeliveryColumns``), due at once."""
    return model(
        **fields,
        state="PENDING",
        attempts=0,
        next_attempt_at=time.time(),
        lease_until=0.0,
        last_status="",
    )


class Deliveries:
    """The delivery loop; a channel's subclass says how one notification is posted.

    The notification model has ``DeliveryColumns``; ``key_field`` names its primary key and
    ``payload_field`` the column with what is sent.
    """

    channel = ""  # "wechatpay" or "alipay": thread name and metrics label
    model: Any = None
    key_field = ""
    payload_field = ""

    def __init__(
        self,
        factory: sessionmaker[Session],
        schedule: tuple[float, ...],
        poll_seconds: float = 0.2,
        tasks: tuple[Callable[[], object], ...] = (),
    ) -> None:
        self.factory = factory
        self.schedule = schedule
        self.poll_seconds = poll_seconds
        self.tasks = tasks  # run before each round, e.g. settling refunds that are due
        self.http = requests.Session()
        self._senders = ThreadPoolExecutor(SENDERS, thread_name_prefix=f"{self.channel}-notify")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def key_of(self, row: Any) -> str:
        """The notification's primary key."""
        return str(getattr(row, self.key_field))

    def payload_of(self, row: Any) -> str:
        """What is stored to be sent."""
        return str(getattr(row, self.payload_field))

    def deliver(self, url: str, payload: str) -> tuple[bool, str]:
        """Post one notification; (acknowledged, status text)."""
        raise NotImplementedError

    def start(self) -> None:
        """Start the delivery thread (a daemon: it dies with the worker)."""
        self._thread = threading.Thread(
            target=self._loop, name=f"{self.channel}-notifier", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._senders.shutdown(wait=False)
        self.http.close()

    def wake(self) -> None:
        """Look for due notifications now instead of at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("%s notification round failed", self.channel)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def run_once(self) -> int:
        """Run the round's tasks, then deliver every notification due now; the number sent."""
        for task in self.tasks:
            task()
        due = self._claim()
        outcomes = self._senders.map(lambda item: self.deliver(item[1], item[2]), due)
        for (key, _, _), outcome in zip(due, outcomes, strict=True):
            self._record(key, *outcome)
        return len(due)

    def post(self, url: str, **kwargs: Any) -> requests.Response | str:
        """POST with the delivery timeout; a transport failure comes back as its name."""
        try:
            return self.http.post(url, timeout=DELIVERY_TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as exc:
            return type(exc).__name__

    def _claim(self) -> list[tuple[str, str, str]]:
        now = time.time()
        model = self.model
        due = f"state = 'PENDING' AND next_attempt_at <= {now!r} AND lease_until <= {now!r}"
        if not any_row(self.factory, f"SELECT 1 FROM {model.__tablename__} WHERE {due} LIMIT 1"):
            return []  # most rounds: nothing due, and no write transaction to learn it
        with transaction(self.factory) as session:
            rows = session.scalars(
                select(model)
                .where(
                    model.state == "PENDING",
                    model.next_attempt_at <= now,
                    model.lease_until <= now,
                )
                .order_by(model.next_attempt_at)
                .limit(20)
            ).all()
            for row in rows:
                row.lease_until = now + LEASE_SECONDS
            return [(self.key_of(row), row.notify_url, self.payload_of(row)) for row in rows]

    def _record(self, key: str, acknowledged: bool, status: str) -> None:
        with transaction(self.factory) as session:
            row = session.get(self.model, key)
            if row is None:
                return
            row.attempts += 1
            row.last_status = status
            row.lease_until = 0.0
            record_notification(self.channel, row.attempts, acknowledged)
            if acknowledged:
                row.state = "DELIVERED"
            elif row.attempts > len(self.schedule):
                row.state = "FAILED"
            else:
                row.next_attempt_at = time.time() + self.schedule[row.attempts - 1]
        log.info("%s notification %s attempt -> %s", self.channel, key, status)
