"""Timing helpers: run a call many times from a thread pool and summarise the latencies."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one benchmark."""

    name: str
    count: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per operation, by process

    @property
    def per_second(self) -> float:
        """Completed calls per second of wall time."""
        return self.count / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        """A Markdown table row."""
        return (
            f"| {self.name} | {self.per_second:,.0f}/s | {self.p50_ms:.1f} ms | "
            f"{self.p99_ms:.1f} ms | {self.count} | {self.failures} |"
        )


def run(name: str, call: Callable[[int], bool], count: int, concurrency: int) -> Result:
    """Call ``call(i)`` ``count`` times on ``concurrency`` threads; it returns success."""
    latencies: list[float] = []
    failures = 0

    def one(i: int) -> tuple[float, bool]:
        started = time.perf_counter()
        ok = call(i)
        return time.perf_counter() - started, ok

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for latency, ok in pool.map(one, range(count)):
            latencies.append(latency)
            failures += 0 if ok else 1
    return summarise(name, latencies, time.perf_counter() - started, failures)


def summarise(name: str, latencies: list[float], seconds: float, failures: int) -> Result:
    """A result from the latencies (seconds) of calls that took ``seconds`` of wall time."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Result(
        name, len(ordered), seconds, statistics.median(ordered) * 1000, p99 * 1000, failures
    )


def cpu_seconds_by_group(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by every process of each named process group
    (a devstack service: its gunicorn master and workers), read from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    by_group = {pgid: 0.0 for pgid in groups.values()}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pgid = int(fields[2])
        if pgid in by_group:
            by_group[pgid] += (int(fields[11]) + int(fields[12])) / ticks
    return {name: by_group[pgid] for name, pgid in groups.items()}
