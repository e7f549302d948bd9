"""The slot rush: 2,000 patients ask the cloud for the 100 slots of one clinic at 07:00;
exactly 100 must be booked and every other patient told 2002 (no slot left).

Each patient is a user of the app with a bound hospital record, asking
``POST /api/v1/registrations`` as the app does, so the whole path is measured: the cloud
(sign-in token, record check, the sold-out board), the gateway, and the HIS's guarded slot
update. The load comes from one asyncio client (aiohttp), which costs far less CPU on the
shared cores than a thread per patient.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import aiohttp

from bench.measure import Result, summarise
from devstack.stack import Stack
from servicekit import idcard
from tests.e2e.his_access import add_patients, add_todays_schedule
from tests.e2e.patient import Patient


def _patients(stack: Stack, tag: str, count: int) -> list[tuple[str, str]]:
    """``count`` app users, each with one bound record: (bearer token, mrn). ``tag`` (one
    digit) keeps the patients of several rushes on one stack apart."""
    people: list[tuple[str, str]] = []
    for batch in range(0, count, 1000):  # an ID number holds three serial digits
        born = date(1950 + 10 * int(tag) + batch // 1000, 1, 1)
        size = min(1000, count - batch)
        add_patients(
            stack,
            f"R{tag}{batch // 1000}",
            born,
            size,
            [f"177{tag}000{n:04d}" for n in range(batch, batch + size)],
        )
        people += [
            (idcard.complete(f"110101{born:%Y%m%d}{n:03d}"), f"抢号{n}") for n in range(size)
        ]

    def sign_up(n: int) -> tuple[str, str]:
        patient = Patient(stack.url("cloud_service"), f"177{tag}000{n:04d}", stack.url("sms"))
        patient.sign_in()
        for _ in range(3):  # a bind whose answer was lost (3003) is safe to ask again
            id_card_no, name = people[n]
            answer = patient.call(
                "POST", "/patients", json={"id_card_no": id_card_no, "name": name}
            )
            if answer.status_code == 200:
                break
        answer.raise_for_status()
        return str(patient.session.headers["Authorization"]), str(answer.json()["mrn"])

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(sign_up, range(count)))


async def _rush(
    url: str, schedule_id: str, users: list[tuple[str, str]], in_flight: int, over_seconds: float
) -> list[tuple[float, str]]:
    limit = asyncio.Semaphore(in_flight)
    # idle connections are dropped before the server's keep-alive (2 s) closes them under us
    connector = aiohttp.TCPConnector(limit=in_flight, keepalive_timeout=1.0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        begin = time.perf_counter()

        async def attempt(n: int, token: str, mrn: str) -> tuple[float, str]:
            # spread: patient n arrives at its moment and is timed from it (open loop);
            # all at once: each request is timed from when it is sent (closed loop)
            due = begin + over_seconds * n / len(users)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            body = {
                "mrn": mrn,
                "schedule_id": schedule_id,
                "pay_mode": "SELF_PAY",
                "channel": "WECHAT",
            }
            headers = {"Authorization": token}
            async with limit:
                started = due if over_seconds else time.perf_counter()
                try:
                    async with session.post(url, json=body, headers=headers) as got:
                        answer = await got.json(content_type=None)
                except aiohttp.ClientError as exc:  # counted as a failure
                    return time.perf_counter() - started, type(exc).__name__
                latency = time.perf_counter() - started
            if got.status == 200:
                return latency, "0000"
            return latency, str(answer.get("result_code", got.status))

        return await asyncio.gather(*(attempt(n, *user) for n, user in enumerate(users)))


def slot_rush(
    stack: Stack,
    tag: str,
    patients: int = 2000,
    slots: int = 100,
    in_flight: int = 200,
    over_seconds: float = 0.0,
) -> Result:
    """Every patient asks once over at most ``in_flight`` connections: all at once, each timed
    from its sending (``over_seconds`` 0), or arriving evenly over ``over_seconds``, each
    timed from its arrival (a wait for a connection counts)."""
    schedule_id = f"RUSH{tag}"
    add_todays_schedule(stack, schedule_id, slots)
    users = _patients(stack, tag, patients)
    url = f"{stack.url('cloud_service')}/api/v1/registrations"
    started = time.perf_counter()
    outcomes = asyncio.run(_rush(url, schedule_id, users, in_flight, over_seconds))
    elapsed = time.perf_counter() - started
    codes = Counter(code for _, code in outcomes)
    booked = codes.get("0000", 0)
    wrong = patients - booked - codes.get("2002", 0) + abs(booked - slots)
    how = f"{in_flight} in flight" if not over_seconds else f"arriving over {over_seconds:.0f} s"
    name = (
        f"slot rush through the cloud: {patients} patients {how}, "
        f"{slots} slots ({booked} booked, {dict(codes)})"
    )
    return summarise(name, [latency for latency, _ in outcomes], elapsed, wrong)
