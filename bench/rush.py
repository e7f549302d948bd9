"""The slot rush: 2,000 patients ask for the 100 slots of one clinic at once, through the
gateway; exactly 100 must be booked and every other patient told 2002 (no slot left)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from bench.measure import Result, summarise
from devstack.stack import Stack
from envelope import EnvelopeClient
from tests.e2e.his_access import add_patients, add_todays_schedule, hospital_client


def slot_rush(
    stack: Stack, patients: int = 2000, slots: int = 100, concurrency: int = 200
) -> Result:
    """Every patient sends one 2006; ``concurrency`` are in flight from the first instant."""
    schedule_id = "BENCHRUSH01"
    add_todays_schedule(stack, schedule_id, slots)
    mrns: list[str] = []
    for batch in range(0, patients, 1000):  # an ID number holds three serial digits
        born = date(1990 + batch // 1000, 1, 1)
        mrns += add_patients(stack, f"R{batch // 1000}", born, min(1000, patients - batch))
    local = threading.local()
    ready = threading.Barrier(concurrency)

    def attempt(n: int) -> tuple[float, str]:
        if not hasattr(local, "client"):
            local.client = hospital_client(stack)
            ready.wait(timeout=60)
        client: EnvelopeClient = local.client
        started = time.perf_counter()
        reply = client.send(
            "2006", {"schedule_id": schedule_id, "mrn": mrns[n], "order_no": f"RUSH{n:06d}"}
        )
        return time.perf_counter() - started, reply.result_code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(attempt, range(patients)))
    elapsed = time.perf_counter() - started
    codes = Counter(code for _, code in outcomes)
    booked = codes.get("0000", 0)
    wrong = patients - booked - codes.get("2002", 0) + abs(booked - slots)
    name = f"slot rush: {patients} patients, {slots} slots ({booked} booked, {dict(codes)})"
    return summarise(name, [latency for latency, _ in outcomes], elapsed, wrong)
