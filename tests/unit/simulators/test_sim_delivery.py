"""The shared notification delivery: a queued row is due at once, retried on the channel's
schedule, and given up (FAILED) once the schedule is spent; an acknowledgement stops it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from servicekit.db import make_engine, session_factory, transaction
from simulators.delivery import Deliveries, DeliveryColumns, queued


class Base(DeclarativeBase):
    """A throwaway declarative base."""


class Note(DeliveryColumns, Base):
    """A channel's notification with its own key and payload columns."""

    __tablename__ = "test_note"

    ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class Scripted(Deliveries):
    """Answers from a script instead of posting; records what it was given."""

    channel = "testchannel"
    model = Note
    key_field = "ref"
    payload_field = "text"
    answers: list[bool]  # set by each test
    sent: list[tuple[str, str]]

    def deliver(self, url: str, payload: str) -> tuple[bool, str]:
        """The next scripted answer."""
        self.sent.append((url, payload))
        taken = self.answers.pop(0)
        return taken, "200" if taken else "500"


@pytest.fixture
def factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'notes.db'}")
    Base.metadata.create_all(engine)
    return session_factory(engine)


def _queue(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        session.add(queued(Note, ref="N1", notify_url="http://merchant/notify", text="{}"))


def _row(factory: sessionmaker[Session]) -> Note:
    with factory() as session:
        row = session.get(Note, "N1")
        assert row is not None
        return row


def test_an_unanswered_notification_fails_once_the_schedule_is_spent(
    factory: sessionmaker[Session],
) -> None:
    notifier = Scripted(factory, schedule=(0.0, 0.0))
    notifier.answers, notifier.sent = [False, False, False, True], []
    _queue(factory)
    assert [notifier.run_once() for _ in range(4)] == [1, 1, 1, 0]
    row = _row(factory)
    assert (row.state, row.attempts, row.last_status) == ("FAILED", 3, "500")
    assert notifier.sent == [("http://merchant/notify", "{}")] * 3


def test_an_acknowledged_notification_is_never_sent_again(
    factory: sessionmaker[Session],
) -> None:
    notifier = Scripted(factory, schedule=(0.0,))
    notifier.answers, notifier.sent = [True], []
    _queue(factory)
    assert [notifier.run_once(), notifier.run_once()] == [1, 0]
    assert (_row(factory).state, _row(factory).attempts) == ("DELIVERED", 1)


def test_a_retry_waits_for_its_place_on_the_schedule(factory: sessionmaker[Session]) -> None:
    notifier = Scripted(factory, schedule=(3600.0,))
    notifier.answers, notifier.sent = [False], []
    _queue(factory)
    assert [notifier.run_once(), notifier.run_once()] == [1, 0]
    assert _row(factory).state == "PENDING"
