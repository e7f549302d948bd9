"""CPU contention for the chaos run: one busy process per core, as a server has at its peak.

Each busy process stops by itself at its deadline or as soon as the runner that started it
is gone (its parent changes), and the runner kills them all on the way out, Ctrl-C included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# Spins until the deadline or until its parent dies (then it is re-parented): never orphaned.
BUSY_LOOP = """
import os, sys, time
end = time.monotonic() + float(sys.argv[1])
parent = os.getppid()
while time.monotonic() < end and os.getppid() == parent:
    for _ in range(20000):
        pass
"""
DEFAULT_SECONDS = 1200.0  # longer than a loaded `make chaos`, short enough to bound a leak


def cores() -> int:
    """How many busy processes make every core of this machine contended."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def cpu_contention(processes: int, seconds: float = DEFAULT_SECONDS) -> Iterator[list[int]]:
    """Run ``processes`` busy loops for at most ``seconds``; yields their pids. They are killed
    when the block ends, however it ends."""
    if not 0 < seconds <= 24 * 3600:
        raise ValueError("contention lasts between 0 and 24 hours")
    busy: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(processes):
            busy.append(subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(seconds)]))
        yield [p.pid for p in busy]
    finally:
        for process in busy:
            if process.poll() is None:
                process.kill()
        for process in busy:
            process.wait(timeout=10)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so a terminated run still stops what it started."""

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise)
