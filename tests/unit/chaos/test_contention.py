"""The chaos run's busy processes: bounded in time and always stopped."""

from __future__ import annotations

import os
import time

import pytest

from tests.chaos.contention import cpu_contention


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_busy_processes_are_killed_when_the_run_fails() -> None:
    with pytest.raises(KeyboardInterrupt), cpu_contention(2, seconds=600) as pids:
        assert all(_alive(pid) for pid in pids)
        raise KeyboardInterrupt  # as Ctrl-C in the middle of the run
    assert not any(_alive(pid) for pid in pids)


def test_busy_processes_stop_by_themselves_at_their_deadline() -> None:
    with cpu_contention(1, seconds=0.5) as pids:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.waitpid(pids[0], os.WNOHANG) == (0, 0):
            time.sleep(0.1)
        assert time.monotonic() < deadline, "the busy process outlived its deadline"


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf")])
def test_contention_without_a_finite_bound_is_refused(seconds: float) -> None:
    with pytest.raises(ValueError), cpu_contention(1, seconds=seconds):
        pass
