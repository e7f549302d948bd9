"""The slot gate: during a rush, only as many patients as the clinic has free slots go on
to the hospital; the others are told "no slot left" (2002) by the cloud itself.

At 07:00 thousands of patients ask for the few slots of a popular clinic at once. Once a
clinic is busy (``busy`` requests within a second), the gate keeps a count of its free
slots in Redis, read from the HIS (2005) and kept for a few seconds (``SLOT_GATE_SECONDS``,
5 s by default); a quiet clinic costs the HIS nothing more than the lock itself. A patient
takes one from the count before the lock is asked (2006) and gives it back when the HIS
refuses or the lock is released. The HIS stays the only authority on slots: the gate never
grants one, so it cannot overbook. It can be wrong the other way for at most its few
seconds (a slot freed inside the HIS alone is offered when the count is read again), and a
Redis that cannot be reached only means every patient is asked about at the HIS, as
without the gate.
"""

from __future__ import annotations

import enum
import logging
import time

from redis import Redis, RedisError

log = logging.getLogger(__name__)
PREFIX = "cloud:slots:"

# Take one from the count when there is one. Without a count: -2 when the clinic is busy
# (ARGV[1] requests within the last second, counted in KEYS[2]), else -1.
_TAKE = """
local left = redis.call('GET', KEYS[1])
if not left then
  local asked = redis.call('INCR', KEYS[2])
  if asked == 1 then redis.call('PEXPIRE', KEYS[2], 1000) end
  if asked >= tonumber(ARGV[1]) then return -2 end
  return -1
end
if tonumber(left) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
return 1
"""
# Give one back to a count that is still kept.
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
return -1
"""


class Verdict(enum.Enum):
    """What the gate says to one patient."""

    ADMITTED = "admitted"  # holds one of the counted slots: ask the HIS
    FULL = "full"  # no slot left: 2002 without asking the HIS
    BUSY = "busy"  # no count yet, and the clinic is busy: read the count first
    UNKNOWN = "unknown"  # no count (or no Redis): ask the HIS, holding nothing


class SlotGate:
    """Free-slot counts per clinic in Redis, shared by every cloud process."""

    def __init__(
        self, redis: Redis, seconds: float, busy: int = 10, wait_seconds: float = 1.0
    ) -> None:
        self.redis = redis
        self.milliseconds = max(1, int(seconds * 1000))
        self.busy = busy
        self.wait_seconds = wait_seconds
        self._take = redis.register_script(_TAKE)
        self._give_back = redis.register_script(_GIVE_BACK)

    def take(self, schedule_id: str) -> Verdict:
        """Take a slot from the clinic's count."""
        try:
            key = PREFIX + schedule_id
            taken = int(self._take(keys=[key, key + ":asked"], args=[self.busy]))
        except RedisError:
            log.warning("slot gate unreadable; asking the HIS")
            return Verdict.UNKNOWN
        verdicts = {1: Verdict.ADMITTED, 0: Verdict.FULL, -2: Verdict.BUSY}
        return verdicts.get(taken, Verdict.UNKNOWN)

    def may_count(self, schedule_id: str) -> bool:
        """True for the one caller that is to read the clinic's count from the HIS now."""
        try:
            key = PREFIX + schedule_id + ":reading"
            return bool(self.redis.set(key, "1", px=2000, nx=True))
        except RedisError:
            return False

    def set_count(self, schedule_id: str, free_slots: int | None) -> None:
        """The HIS's count of free slots (None: it could not be read), kept for the gate's
        few seconds; the next reader may go on."""
        try:
            with self.redis.pipeline() as pipe:
                if free_slots is not None:
                    pipe.set(PREFIX + schedule_id, max(0, free_slots), px=self.milliseconds)
                pipe.delete(PREFIX + schedule_id + ":reading")
                pipe.execute()
        except RedisError:
            log.warning("slot gate unwritable; the HIS will be asked")

    def wait_for_count(self, schedule_id: str) -> None:
        """Wait (briefly) while another caller reads the count."""
        deadline = time.monotonic() + self.wait_seconds
        try:
            while time.monotonic() < deadline and not self.redis.exists(PREFIX + schedule_id):
                time.sleep(0.01)
        except RedisError:
            return

    def full(self, schedule_id: str) -> None:
        """The HIS answered 2002 for the clinic: nothing is left to count."""
        self.set_count(schedule_id, 0)

    def give_back(self, schedule_id: str | None) -> None:
        """A slot taken from the count was not locked after all, or was released."""
        if not schedule_id:
            return
        try:
            self._give_back(keys=[PREFIX + schedule_id])
        except RedisError:
            log.warning("slot gate unwritable; the count is read again when it expires")
