"""The payment simulators' notifiers count every delivery attempt and every retry."""

from __future__ import annotations

import time
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import update

from devstack.ports import free_port
from servicekit.db import make_engine, session_factory, transaction
from simulators.alipay.models import Base, Notification
from simulators.alipay.notifier import Notifier


def value(name: str, **labels: str) -> float:
    """The current value of one sample of this process's registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_undelivered_alipay_notification_counts_a_failure_then_a_retry(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'alipay.db'}")
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    nobody = f"http://127.0.0.1:{free_port()}/notify"  # nothing listens: every attempt fails
    with transaction(factory) as session:
        session.add(
            Notification(
                notify_id="N1",
                out_trade_no="T1",
                notify_url=nobody,
                form="{}",
                state="PENDING",
                attempts=0,
                next_attempt_at=time.time(),
                lease_until=0.0,
                last_status="",
            )
        )
    notifier = Notifier(factory, schedule=(60.0, 60.0))
    failed = value("payment_notification_attempts_total", channel="alipay", outcome="failed")
    retries = value("payment_notification_retries_total", channel="alipay")

    assert notifier.run_once() == 1
    assert value("payment_notification_retries_total", channel="alipay") == retries
    with transaction(factory) as session:  # the retry is due now instead of in a minute
        session.execute(update(Notification).values(next_attempt_at=time.time()))
    assert notifier.run_once() == 1

    after = value("payment_notification_attempts_total", channel="alipay", outcome="failed")
    assert after == failed + 2
    assert value("payment_notification_retries_total", channel="alipay") == retries + 1
    engine.dispose()
