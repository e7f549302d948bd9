"""``python -m bench.hip_cpu [--cycles N] [--sqlite]``: integration_platform's CPU per message.

Builds the app with ``integration_platform.create_app`` on a fresh PostgreSQL database
(``hip_perf_<random>``, dropped afterwards) or a SQLite file, signs every envelope beforehand
with the test keys, then runs N insured registrations as the cloud sends them (1003 patient
info, 2004 remaining slots, 2006 lock, 2008 confirm, 2010 query) through the app's test
client, and prints the process CPU milliseconds spent per message of each trade code.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask

from envelope import EnvelopeClient, KeyRing, clock
from integration_platform import MIGRATIONS, Settings, create_app
from integration_platform.seed import seed
from servicekit.db import make_engine, migrate, session_factory

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
HIP_RING = KeyRing.from_settings("HIP", "hip-test-1", "test-gateway-hip-secret")
INSFE_HIP_RING = KeyRing.from_settings("INSFE_HIP", "insfe-hip-test-1", "test-insfe-hip-secret")
PATIENTS = 200  # seeded M00000001 .. M00000200


@contextmanager
def database(sqlite: bool) -> Iterator[str]:
    """A migrated, seeded database of its own, removed afterwards."""
    if sqlite:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite:///{Path(directory) / 'his.db'}"
            _prepare(url)
            yield url
        return
    name = f"hip_perf_{secrets.token_hex(3)}"
    admin = psycopg.connect(ADMIN_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        _prepare(url)
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _prepare(url: str) -> None:
    migrate(url, MIGRATIONS)
    engine = make_engine(url)
    seed(session_factory(engine))
    engine.dispose()


def _insurance(total: int) -> dict[str, Any]:
    hifp, acct = total // 2, total // 5
    cash = total - hifp - acct
    split = {
        "medfee_sumamt": total,
        "fulamt_ownpay_amt": 100,
        "preselfpay_amt": 0,
        "inscp_scp_amt": total - 100,
        "hifp_pay": hifp,
        "acct_pay": acct,
        "psn_cash_pay": cash,
    }
    return {
        "pay_mode": "INSURANCE",
        "channel": "WECHAT",
        "channel_trade_no": "WX" + secrets.token_hex(8),
        "cash": cash,
        "setl_id": "SETL" + secrets.token_hex(6),
        "split": split,
    }


class Runner:
    """Posts pre-signed envelopes and adds up the CPU each trade code costs."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        self.builder = EnvelopeClient(
            "http://unused", HIP_RING, sender="CLOUD", receiver="HIP", hospital_code="H00001"
        )
        self.cpu: dict[str, list[float]] = defaultdict(list)

    def send(self, trade_code: str, body: dict[str, Any]) -> dict[str, Any]:
        """Sign outside the clock, post inside it; the reply body (0000 required)."""
        envelope = self.builder.build(trade_code, body)
        started = time.process_time()
        response = self.client.post("/envelope", json=envelope)
        self.cpu[trade_code].append(time.process_time() - started)
        document = response.get_json()
        code = document["header"]["result_code"]
        if code != "0000":
            raise RuntimeError(f"{trade_code} answered {code}: {document['header']['result_msg']}")
        return dict(document["body"])


def _today_schedules(runner: Runner) -> list[dict[str, Any]]:
    today = clock.today().isoformat()
    body = runner.send("2003", {"start_date": today, "end_date": today})
    return [row for row in body["schedules"] if row["remaining"] > 0]


def registration(runner: Runner, mrn: str, schedule: dict[str, Any]) -> None:
    """One insured registration's messages, as the cloud sends them."""
    today = clock.today()
    runner.send("1003", {"mrn": mrn})
    runner.send(
        "2004",
        {
            "dept_code": schedule["dept_code"],
            "start_date": today.isoformat(),
            "end_date": (today + timedelta(days=6)).isoformat(),
        },
    )
    order_no = "ORD" + secrets.token_hex(8)
    lock = runner.send(
        "2006", {"schedule_id": schedule["schedule_id"], "mrn": mrn, "order_no": order_no}
    )
    settlement = _insurance(lock["fees"]["total"])
    runner.send(
        "2008", {"order_no": order_no, "lock_id": lock["lock_id"], "settlement": settlement}
    )
    runner.send("2010", {"order_no": order_no})


def run(app: Flask, cycles: int, warmup: int = 5) -> dict[str, list[float]]:
    """Warm up, then time ``cycles`` registrations; CPU seconds per message per trade code."""
    runner = Runner(app)
    schedules = _today_schedules(runner)
    plan: Callable[[int], tuple[str, dict[str, Any]]] = lambda i: (  # noqa: E731
        f"M{i % PATIENTS + 1:08d}",
        schedules[(i // PATIENTS * 7 + i) % len(schedules)],
    )
    for i in range(warmup):
        registration(runner, *plan(i))
    runner.cpu.clear()
    for i in range(warmup, warmup + cycles):
        registration(runner, *plan(i))
    return runner.cpu


def report(cpu: dict[str, list[float]]) -> None:
    """Print CPU ms per message for each trade code, and per registration."""
    per_cycle = 0.0
    for code in sorted(cpu):
        values = sorted(cpu[code])
        mean = sum(values) / len(values) * 1000
        per_cycle += mean
        median = values[len(values) // 2] * 1000
        print(f"{code}: {mean:6.2f} ms mean, {median:6.2f} ms median ({len(values)} messages)")
    print(f"one registration ({', '.join(sorted(cpu))}): {per_cycle:.2f} ms CPU")


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(prog="python -m bench.hip_cpu", description=__doc__)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    args = parser.parse_args()
    with database(args.sqlite) as url:
        settings = Settings(
            redis_url=REDIS_URL, hip_ring=HIP_RING, insfe_hip_ring=INSFE_HIP_RING, database_url=url
        )
        app = create_app(settings)
        report(run(app, args.cycles))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
