"""The daily sign cycle with an injectable "now": sign-out first, retries with backoff, the old
serial kept while valid (five days) when sign-out fails, 2013 on the sixth day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests
from flask import Flask

from insurance_frontend import signin
from insurance_frontend.ledger import aware
from insurance_frontend.scheduler import daily_cycle, parse_at
from insurance_frontend.signin import SignIns
from tests.integration.insurance_frontend.insfe_calls import parts, reg_body, send
from tests.integration.insurance_frontend.insfe_neighbours import FakeHis


class Clock:
    """A settable now for SignIns."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture()
def signins(app: Flask) -> Iterator[SignIns]:
    signins = parts(app).signins
    assert signins.current() is not None  # signed in at start-up
    yield signins


def fault(center: str, infno: str, count: int) -> None:
    spec = {"infno": infno, "mode": "error", "count": count}
    assert requests.post(f"{center}/sim/faults", json=spec, timeout=5).status_code == 201


def settle_sign_no(app: Flask, his: FakeHis) -> str:
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    code, msg, _ = send(app, "4005", body)
    assert code == "0000", msg
    rows = [r for r in parts(app).ledger.rows(body["order_no"]) if r.infno == "2207"]
    return rows[-1].sign_no


def test_failed_sign_out_keeps_settling_on_the_old_serial_for_five_days_then_2013(
    app: Flask, his: FakeHis, center: str, signins: SignIns
) -> None:
    first = signins.current()
    assert first is not None
    clock = Clock(aware(first.signed_at))
    signins.now = clock
    fault(center, "9002", 100)
    waits: list[float] = []
    for day in range(1, 5):
        clock.at = aware(first.signed_at) + timedelta(days=day)
        kept = daily_cycle(signins, attempts=3, backoff_seconds=2.0, sleep=waits.append)
        assert kept == first.sign_no
        assert settle_sign_no(app, his) == first.sign_no
    assert waits[:2] == [2.0, 4.0] and len(waits) == 8  # two backoffs per failed day
    clock.at = aware(first.valid_until) + timedelta(seconds=1)  # the sixth day
    code, msg, _ = send(app, "4004", reg_body(his))
    assert code == "2013" and "sign-out refused" in msg
    requests.delete(f"{center}/sim/faults", timeout=5)
    fresh = settle_sign_no(app, his)
    assert fresh != first.sign_no
    assert [r.sign_no for r in signins.open_serials()] == [fresh]


def test_daily_cycle_signs_yesterdays_serial_out_then_signs_in(
    app: Flask, signins: SignIns
) -> None:
    first = signins.current()
    assert first is not None
    signins.now = Clock(aware(first.signed_at) + timedelta(days=1))
    second = daily_cycle(signins, attempts=1, backoff_seconds=0)
    assert second and second != first.sign_no
    infnos = [(r.infno, r.outcome) for r in parts(app).ledger.rows() if r.infno[0] == "9"]
    assert infnos[-2:] == [("9002", "OK"), ("9001", "OK")]
    assert daily_cycle(signins, attempts=1, backoff_seconds=0) == second  # once a day
    assert [r.sign_no for r in signins.open_serials()] == [second]


def test_failed_sign_in_after_sign_out_is_retried_until_it_works(
    center: str, signins: SignIns
) -> None:
    first = signins.current()
    assert first is not None
    signins.now = Clock(aware(first.signed_at) + timedelta(days=1))
    fault(center, "9001", 2)
    waits: list[float] = []
    second = daily_cycle(signins, attempts=4, backoff_seconds=1.0, sleep=waits.append)
    assert second and second != first.sign_no and waits == [1.0, 2.0]


def test_sign_in_slower_than_its_lock_timeout_keeps_the_lock_and_answers(
    app: Flask, center: str, signins: SignIns, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin, "LOCK_SECONDS", 0.2)
    spec = {"infno": "9001", "mode": "delay", "seconds": 1}
    assert requests.post(f"{center}/sim/faults", json=spec, timeout=5).status_code == 201
    fresh = signins.sign_in_now()  # renewed meanwhile: released cleanly, no LockNotOwnedError
    assert [r.sign_no for r in signins.open_serials()] == [fresh]
    assert parts(app).redis.get(signin.LOCK_NAME) is None


def test_sign_in_time_is_read_as_hours_and_minutes() -> None:
    assert parse_at("07:00") == (7, 0) and parse_at("23:59") == (23, 59)


@pytest.mark.parametrize("text", ["24:00", "07:60", "0700", ""])
def test_sign_in_time_that_is_not_hh_mm_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_at(text)


def test_a_serial_another_worker_signed_in_or_out_is_used_at_once(
    app: Flask, his: FakeHis, signins: SignIns
) -> None:
    first = signins.current()
    assert first is not None and settle_sign_no(app, his) == first.sign_no  # the kept serial
    other = SignIns(signins.factory, signins.redis, signins.national, signins.valid_days)
    renewed = other.sign_in_now()  # a staff command in another process: out, then in anew
    assert renewed != first.sign_no
    assert settle_sign_no(app, his) == renewed


def test_a_worker_whose_redis_is_away_reads_the_serial_from_the_table(
    app: Flask, his: FakeHis, signins: SignIns, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = signins.current()
    assert first is not None
    other = SignIns(signins.factory, signins.redis, signins.national, signins.valid_days)
    renewed = other.sign_in_now()

    def away(name: str) -> None:
        raise signin.RedisError("down")

    monkeypatch.setattr(signins.redis, "get", away)
    current = signins.current()
    assert current is not None and current.sign_no == renewed
