"""The notification retry schedule: WeChat Pay's own spacing, applied attempt by attempt."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from servicekit.db import make_engine, session_factory, transaction
from simulators.wechatpay.models import Base, Notification
from simulators.wechatpay.notifier import Notifier
from simulators.wechatpay.settings import REAL_NOTIFY_SCHEDULE
from simulators.wechatpay.signing import Platform


def test_the_real_schedule_is_wechat_pays_published_one() -> None:
    minutes = [s / 60 for s in REAL_NOTIFY_SCHEDULE]
    assert minutes == [0.25, 0.25, 0.5, 3, 10, 20, 30, 30, 30, 60, 180, 180, 180, 360, 360]


@pytest.mark.parametrize("answers", [["500"] * 15 + ["500"], ["500", "500", "204"]])
def test_each_failed_attempt_waits_the_next_interval_until_200_or_204_or_the_end(
    tmp_path: Path, platform: Platform, answers: list[str]
) -> None:
    factory = session_factory(make_engine(f"sqlite:///{tmp_path / 'n.db'}"))
    Base.metadata.create_all(factory.kw["bind"])
    notifier = Notifier(factory, platform, REAL_NOTIFY_SCHEDULE)
    sent = iter(answers)
    notifier._send = lambda url, body: next(sent)  # type: ignore[method-assign]
    with transaction(factory) as session:
        session.add(Notification(id="N1", out_trade_no="O1", notify_url="http://x", body="{}",
                                 state="PENDING", attempts=0, next_attempt_at=0.0))  # fmt: skip
    waits = []
    for _ in answers:
        assert notifier.run_once() == 1
        with factory() as session:
            row = session.get(Notification, "N1")
            assert row is not None
            waits.append(round(row.next_attempt_at - time.time()))
            if row.state != "PENDING":
                break
        with transaction(factory) as session:  # let the next attempt fall due now
            session.get(Notification, "N1").next_attempt_at = 0.0  # type: ignore[union-attr]
    with factory() as session:
        row = session.get(Notification, "N1")
    assert row is not None
    if answers[-1] == "204":
        assert (row.state, row.attempts) == ("DELIVERED", 3)
        assert waits[:2] == [15, 15]
    else:
        assert (row.state, row.attempts) == ("FAILED", 16)
        assert waits[:15] == [int(s) for s in REAL_NOTIFY_SCHEDULE]
