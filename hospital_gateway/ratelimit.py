"""Rate limits in Redis (1008): per sender per second, per patient per minute.

The nonce of the message (envelope.replay) is remembered in the same script, before anything
is counted: one Redis round trip a message for freshness and both limits, a replay (1005)
counting against no limit, as when the nonce was checked on its own.

A sliding-window counter: each window has its own counter in Redis (shared by every gateway
worker; it expires after two windows), and the count is the current window's plus the
previous window's weighted by how much of it still overlaps the sliding window. Both limits
move in one small Lua script, one command and one round trip a message (it replaced a MULTI
pipeline of eight commands, whose client-side cost was a tenth of the gateway's CPU). The
clock is the gateway's, not Redis's.

The patient is the ``id_card_no`` (else the ``mrn``) of an inbound body, keyed by an HMAC
so that no ID number or record number is ever stored in Redis in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis

from envelope import codes
from envelope.catalogue import CLOUD
from envelope.replay import RedisNonceStore, nonce_ttl

PATIENT_FIELDS = ("id_card_no", "mrn")  # which body field names the patient, in this order

# KEYS: the nonce's name, then each subject's current window counter and its previous one;
# ARGV: the nonce's time to live (0: no nonce to check), then each current counter's.
# Returns {-1} for a nonce seen before (nothing counted), else each subject's current count
# and previous count.
COUNT_SCRIPT = """
if ARGV[1] ~= '0' then
  if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return {-1} end
end
local out = {}
for i = 2, #ARGV do
  local current = KEYS[2 * i - 2]
  local count = redis.call('INCR', current)
  if count == 1 then redis.call('EXPIRE', current, ARGV[i]) end
  out[2 * i - 3] = count
  out[2 * i - 2] = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
end
return out
"""


@dataclass(frozen=True)
class Limit:
    """At most ``count`` messages per ``window_seconds``; a count of 0 turns it off."""

    count: int
    window_seconds: int

    @property
    def enabled(self) -> bool:
        """False when the limit is switched off."""
        return self.count > 0


def patient_of(body: Any) -> str | None:
    """The patient a body is about (ID number or record number), if it names one."""
    if not isinstance(body, dict):
        return None
    for name in PATIENT_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value:
            return f"{name}:{value}"
    return None


class RateLimiter:
    """Counts admitted messages in Redis and refuses (1008) those over a limit."""

    def __init__(
        self,
        redis: Redis,
        *,
        per_sender: Limit,
        per_patient: Limit,
        patient_key: bytes,
        prefix: str = "ratelimit:gateway",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self.per_sender = per_sender
        self.per_patient = per_patient
        self._patient_key = patient_key
        self._prefix = prefix
        self._clock = clock
        self._count = redis.register_script(COUNT_SCRIPT)  # EVALSHA, loaded again if flushed

    def check(
        self, head: Mapping[str, Any], body: Any, nonces: RedisNonceStore | None = None
    ) -> None:
        """Count this message against its sender and, inbound, its patient; 1008 if over.

        With ``nonces``, the header's nonce is remembered first in the same round trip
        (1005 if it was seen, and then nothing is counted)."""
        sender = str(head["sender"])
        patient = patient_of(body) if sender == CLOUD else None
        subjects: list[tuple[str, Limit, str]] = []  # (Redis name, limit, whose messages)
        if self.per_sender.enabled:
            subjects.append((f"sender:{sender}", self.per_sender, f"from {sender}"))
        if patient and self.per_patient.enabled:
            subjects.append((self.hashed(patient), self.per_patient, "about one patient"))
        nonce = nonces.key(str(head["nonce"])) if nonces is not None else None
        if not subjects and nonce is None:
            return
        over = self._over([(subject, limit) for subject, limit, _ in subjects], nonce)
        for (_, limit, whose), exceeded in zip(subjects, over, strict=True):
            if exceeded:
                raise codes.EnvelopeError(
                    codes.RATE_LIMITED,
                    f"rate limited: more than {limit.count} messages {whose} "
                    f"in {limit.window_seconds} s",
                )

    def hashed(self, patient: str) -> str:
        """The Redis name of a patient: an HMAC, never the ID number itself."""
        digest = hmac.new(self._patient_key, patient.encode("utf-8"), hashlib.sha256)
        return "patient:" + digest.hexdigest()[:32]

    def _over(self, subjects: list[tuple[str, Limit]], nonce: str | None) -> list[bool]:
        """Remember the nonce (1005 if seen), then count one message for each subject
        (sliding window); which are over their limit."""
        now = self._clock()
        keys: list[str] = [nonce or f"{self._prefix}:no-nonce"]
        ttls: list[int] = [nonce_ttl() if nonce else 0]
        for subject, limit in subjects:
            window = int(now // limit.window_seconds)
            keys += [f"{self._prefix}:{subject}:{window}", f"{self._prefix}:{subject}:{window - 1}"]
            ttls.append(2 * limit.window_seconds)
        answers = self._count(keys=keys, args=ttls)
        if answers and int(answers[0]) == -1:
            raise codes.EnvelopeError(codes.REPLAYED_NONCE)
        over = []
        for n, (_, limit) in enumerate(subjects):
            count, before = int(answers[2 * n]), int(answers[2 * n + 1])
            overlap = 1.0 - (now % limit.window_seconds) / limit.window_seconds
            over.append(count + before * overlap > limit.count)
        return over
