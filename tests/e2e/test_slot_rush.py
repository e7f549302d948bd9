"""No overbooking under a rush: 500 lock attempts by 500 patients, through the gateway, on a
clinic of 20 slots, end in exactly 20 locks and 480 clear refusals; on SQLite (the default
stack) and on PostgreSQL (a second stack whose HIS runs on it). Expired locks give their
slots back exactly once."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select, update

from devstack.ports import free_port
from devstack.stack import DEV_PORTS, ROOT, Stack, read_env_file
from envelope import EnvelopeClient, clock
from integration_platform.models import Registration, Slot, to_db_time
from tests.e2e.his_access import add_patients, add_todays_schedule, his_session, hospital_client

ATTEMPTS, SLOTS, THREADS = 500, 20, 50


def _rush(
    stack: Stack, schedule_id: str, mrns: list[str], wave: str = "A"
) -> list[tuple[str, dict[str, Any]]]:
    """Every patient asks for a slot of the schedule at once (50 at a time)."""
    local = threading.local()
    start = threading.Barrier(THREADS)

    def attempt(n: int) -> tuple[str, dict[str, Any]]:
        if not hasattr(local, "client"):
            local.client = hospital_client(stack)
            start.wait(timeout=60)
        client: EnvelopeClient = local.client
        reply = client.send(
            "2006",
            {"schedule_id": schedule_id, "mrn": mrns[n], "order_no": f"{schedule_id}-{wave}{n}"},
        )
        return reply.result_code, reply.body

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(attempt, range(len(mrns))))


def _held(stack: Stack, schedule_id: str) -> tuple[int, int, int]:
    """(LOCKED slots, LOCKED registrations, FREE slots) of the schedule in the HIS database."""
    with his_session(stack) as session:
        locked_slots = session.scalar(
            select(func.count()).where(Slot.schedule_id == schedule_id, Slot.status == "LOCKED")
        )
        locks = session.scalar(
            select(func.count()).where(
                Registration.schedule_id == schedule_id, Registration.status == "LOCKED"
            )
        )
        free = session.scalar(
            select(func.count()).where(Slot.schedule_id == schedule_id, Slot.status == "FREE")
        )
    return int(locked_slots or 0), int(locks or 0), int(free or 0)


def _expire_and_relock(stack: Stack, schedule_id: str, mrns: list[str]) -> None:
    """Every lock lapses; asking for slots again frees each exactly once for new patients."""
    with his_session(stack) as session:
        session.execute(
            update(Registration)
            .where(Registration.schedule_id == schedule_id)
            .values(expires_at=to_db_time(clock.now() - timedelta(minutes=1)))
        )
    results = _rush(stack, schedule_id, mrns, "B")  # each request releases lapsed locks first
    codes = Counter(code for code, _ in results)
    assert codes == {"0000": SLOTS, "2002": len(mrns) - SLOTS}, codes
    with his_session(stack) as session:
        released = session.scalar(
            select(func.count()).where(
                Registration.schedule_id == schedule_id, Registration.status == "RELEASED"
            )
        )
    assert released == SLOTS
    assert _held(stack, schedule_id) == (SLOTS, SLOTS, 0)


def _rush_and_check(stack: Stack, tag: str, born: date) -> None:
    schedule_id = f"SCRUSH{tag}{secrets.token_hex(3).upper()}"
    add_todays_schedule(stack, schedule_id, SLOTS)
    mrns = add_patients(stack, tag, born, ATTEMPTS + 100)
    results = _rush(stack, schedule_id, mrns[:ATTEMPTS])
    codes = Counter(code for code, _ in results)
    assert codes == {"0000": SLOTS, "2002": ATTEMPTS - SLOTS}, codes
    won = [body for code, body in results if code == "0000"]
    assert {body["status"] for body in won} == {"LOCKED"}
    assert len({body["slot_id"] for body in won}) == SLOTS
    assert all(body == {} for code, body in results if code != "0000")
    assert _held(stack, schedule_id) == (SLOTS, SLOTS, 0)
    _expire_and_relock(stack, schedule_id, mrns[ATTEMPTS:])


def test_five_hundred_patients_rush_twenty_slots_on_sqlite(stack: Stack) -> None:
    _rush_and_check(stack, "SQ", date(2001, 1, 1))


@pytest.fixture(scope="module")
def postgres_stack(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A second whole system whose integration_platform runs on a fresh PostgreSQL database."""
    name = f"hip_rush_{secrets.token_hex(4)}"
    admin = psycopg.connect(postgres_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = read_env_file(ROOT / "deploy" / "dev.env")
    base["INTEGRATION_PLATFORM_DATABASE_URL"] = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    var_dir: Path = tmp_path_factory.mktemp("pg_stack")
    running = Stack(ports={n: free_port() for n in DEV_PORTS}, var_dir=var_dir, base_env=base)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.postgres
def test_five_hundred_patients_rush_twenty_slots_on_postgresql(postgres_stack: Stack) -> None:
    assert postgres_stack.env["INTEGRATION_PLATFORM_DATABASE_URL"].startswith("postgresql://")
    _rush_and_check(postgres_stack, "PG", date(2002, 2, 2))
