"""Redis locks that stay held while the work under them runs.

A lock's timeout only bounds how long a killed worker keeps the others out. While the holder
lives, a heartbeat thread renews the lock every third of its timeout, so however many center
calls the work makes, and however slow they are, no second worker gets in. Sizing the timeout
from the worst case instead would have to count every call the work may make (and keep
counting as the code changes), and would block an order that long after a crash.

A lock lost anyway (Redis restarted, a long stall) is logged; it never turns work that is
done, such as a settlement already booked, into an error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis.exceptions import LockNotOwnedError, RedisError

log = logging.getLogger("insurance_frontend.locks")


class Lease:
    """An acquired lock and the heartbeat that renews it until ``end``."""

    def __init__(self, lock: Any, seconds: float) -> None:
        self.lock = lock
        self.seconds = seconds
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="insfe-lock", daemon=True)
        self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                self.lock.reacquire()
            except LockNotOwnedError:
                log.warning("lock %s lapsed while its work was running", self.lock.name)
                return
            except RedisError as exc:  # Redis briefly away: the next beat tries again
                log.warning("lock %s not renewed: %s", self.lock.name, exc)

    def confirm(self) -> bool:
        """Renew now; False when the lock is no longer ours (another worker may hold it)."""
        try:
            self.lock.reacquire()
        except LockNotOwnedError:
            return False
        return True

    def end(self) -> None:
        """Stop renewing and release; a lock that lapsed meanwhile is only logged."""
        self._stop.set()
        self._heartbeat.join()
        try:
            self.lock.release()
        except RedisError as exc:  # it expires by itself; the work is done either way
            log.warning("lock %s not released cleanly: %s", self.lock.name, exc)


@contextmanager
def held(redis: Any, name: str, seconds: float, wait: float) -> Iterator[Lease | None]:
    """Hold the lock ``name`` while the block runs; yields None when another holder kept it
    for ``wait`` seconds."""
    # thread_local=False: the heartbeat thread renews with the token the caller acquired.
    lock = redis.lock(name, timeout=seconds, blocking_timeout=wait, thread_local=False)
    if not lock.acquire():
        yield None
        return
    lease = Lease(lock, seconds)
    try:
        yield lease
    finally:
        lease.end()
