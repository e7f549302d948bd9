"""``python -m bench.cloud_cpu [--orders N] [--polls K] [--sqlite] [--profile]``: the cloud's
CPU per complete insured registration, by phase.

Builds cloud_service with ``create_app`` on a fresh PostgreSQL database (``cloud_perf_<random>``,
dropped afterwards) or a SQLite file, the test Redis, an in-process hospital that answers
every trade code with a body that fits its answer model and a channel that takes every
payment. N patients (signed in and bound beforehand, not measured) each register (POST
/registrations), pay (POST /orders/<no>/pay), poll their order K times (GET /orders/<no>),
have their payment noticed (saga.payments.record_payment, as the channel's notification does)
and driven (the worker's drive), while the worker looks for due steps once between patients
(claim with nothing due). Prints process CPU milliseconds per registration of each phase.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import secrets
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient

from bench.cloud_fakes import BenchChannel, BenchHospital, BenchSms
from cloud_service import accounts, create_app
from cloud_service.deps import Deps
from cloud_service.saga import worker
from cloud_service.saga.payments import PaidTrade, record_payment
from cloud_service.settings import Settings
from devstack.keys import ensure_dev_keys
from devstack.stack import ROOT, read_env_file
from servicekit.db import make_engine, migrate, session_factory

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
CARD = "110105198001010016"
PHASES = ("register", "pay", "poll", "notice", "drive", "worker_idle")


@contextmanager
def database(sqlite: bool, folder: Path) -> Iterator[str]:
    """A migrated cloud ledger of its own, removed afterwards."""
    if sqlite:
        url = f"sqlite:///{folder / 'cloud.db'}"
        migrate(url, ROOT / "cloud_service" / "migrations")
        yield url
        return
    name = f"cloud_perf_{secrets.token_hex(3)}"
    admin = psycopg.connect(ADMIN_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        migrate(url, ROOT / "cloud_service" / "migrations")
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def build(url: str, folder: Path) -> tuple[Flask, BenchHospital, BenchChannel, BenchSms]:
    """The cloud app over ``url`` with the bench's hospital, channel and SMS gateway."""
    env = read_env_file(ROOT / "deploy" / "dev.env")
    for key in list(env):
        if key.endswith("_KEY_PATH"):
            env[key] = str(folder / "keys" / Path(env[key]).name)
    ensure_dev_keys(ROOT, env)
    env.update(REDIS_URL=REDIS_URL, DATABASE_URL=url, SMS_SEND_LIMIT_PER_DAY="100000")
    app = create_app(Settings.from_env(env))
    built: Deps = app.extensions["cloud_deps"]
    hospital, channel, sms = BenchHospital(), BenchChannel(), BenchSms()
    assert built.identity is not None
    app.extensions["cloud_deps"] = replace(
        built,
        sessions=session_factory(make_engine(url)),
        hospital=hospital,
        channels={"WECHAT": channel},  # type: ignore[dict-item]  # the cashier path only
        identity=replace(built.identity, sms=sms),
    )
    return app, hospital, channel, sms


def patient_client(app: Flask, sms: BenchSms, n: int) -> FlaskClient:
    """A signed-in client of phone 139xxxxxxxx with the hospital's record bound."""
    client = app.test_client()
    phone = f"139{secrets.randbelow(10**8):08d}"
    for key in app.extensions["cloud_deps"].identity.pending.scan_iter("auth-limits*"):
        app.extensions["cloud_deps"].identity.pending.delete(key)
    sent = client.post("/api/v1/auth/sms-codes", json={"phone": phone})
    assert sent.status_code == 202, sent.get_json()
    grant = {"grant": "sms", "phone": phone, "code": sms.codes[phone]}
    token = client.post("/api/v1/auth/tokens", json=grant).get_json()["access_token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    deps: Deps = app.extensions["cloud_deps"]
    mrn = f"M{n:06d}"
    record: dict[str, object] = {"mrn": mrn, "patient_type": "EMPLOYEE", "insured": True}
    accounts.save_binding(deps, accounts.register_user(deps, phone), record, CARD, "张伟", "")
    client.environ_base["bench_mrn"] = mrn
    return client


def one_registration(
    app: Flask, client: FlaskClient, channel: BenchChannel, polls: int, spent: dict[str, float]
) -> None:
    """Register, pay, poll, notice and drive one order; CPU seconds added to ``spent``."""
    deps: Deps = app.extensions["cloud_deps"]
    mrn = str(client.environ_base["bench_mrn"])
    body = {"mrn": mrn, "schedule_id": "S1", "pay_mode": "INSURANCE", "channel": "WECHAT"}
    created = _timed(
        spent, "register", lambda: _ok(client.post("/api/v1/registrations", json=body))
    )
    order_no = created["order_no"]
    paying = _timed(spent, "pay", lambda: _ok(client.post(f"/api/v1/orders/{order_no}/pay")))
    for _ in range(polls):
        _timed(spent, "poll", lambda: _ok(client.get(f"/api/v1/orders/{order_no}")))
    trade = PaidTrade("WECHAT", paying["out_trade_no"], paying["cash_fen"], "WX" + order_no)
    channel.paid(paying["out_trade_no"])
    _timed(spent, "notice", lambda: record_payment(deps, trade))
    _timed(spent, "drive", lambda: worker.drive(deps, order_no))
    _timed(spent, "worker_idle", lambda: worker.drain_once(deps))
    state = _ok(client.get(f"/api/v1/orders/{order_no}"))["state"]
    assert state == "CONFIRMED", state


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def _timed(spent: dict[str, float], phase: str, work: Callable[[], Any]) -> Any:
    started = time.process_time()
    result = work()
    spent[phase] += time.process_time() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--polls", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, database(args.sqlite, Path(directory)) as url:
        app, _hospital, channel, sms = build(url, Path(directory))
        clients = [patient_client(app, sms, n) for n in range(args.orders + 5)]
        warm: dict[str, float] = defaultdict(float)
        for client in clients[:5]:
            one_registration(app, client, channel, args.polls, warm)
        spent: dict[str, float] = defaultdict(float)
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        for client in clients[5:]:
            one_registration(app, client, channel, args.polls, spent)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    kind = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"cloud_service CPU ms per insured registration ({kind}, {args.polls} polls):")
    for phase in PHASES:
        print(f"  {phase:<12} {spent[phase] * 1000 / args.orders:7.2f}")
    print(f"  {'total':<12} {sum(spent.values()) * 1000 / args.orders:7.2f}")


if __name__ == "__main__":
    main()
