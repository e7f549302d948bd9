"""Rate limits in Redis (1008): per sender per second, per patient per minute.

A sliding-window counter: each window has its own counter (INCR + EXPIRE in one MULTI
pipeline, so every gateway worker shares it and no counter outlives two windows), and the
count is the current window's plus the previous window's weighted by how much of it still
overlaps the sliding window. One round trip per limit, no Lua, no clock in Redis.

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

PATIENT_FIELDS = ("id_card_no", "mrn")  # which body field names the patient, in this order


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

    def check(self, head: Mapping[str, Any], body: Any) -> None:
        """Count this message against its sender and, inbound, its patient; 1008 if over.

        Both counters move in one Redis round trip."""
        sender = str(head["sender"])
        patient = patient_of(body) if sender == CLOUD else None
        subjects: list[tuple[str, Limit, str]] = []  # (Redis name, limit, whose messages)
        if self.per_sender.enabled:
            subjects.append((f"sender:{sender}", self.per_sender, f"from {sender}"))
        if patient and self.per_patient.enabled:
            subjects.append((self.hashed(patient), self.per_patient, "about one patient"))
        if not subjects:
            return
        over = self._over([(subject, limit) for subject, limit, _ in subjects])
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

    def _over(self, subjects: list[tuple[str, Limit]]) -> list[bool]:
        """Count one message for each subject (sliding window); which are over their limit."""
        now = self._clock()
        pipe = self._redis.pipeline(transaction=True)
        for subject, limit in subjects:
            window = int(now // limit.window_seconds)
            current = f"{self._prefix}:{subject}:{window}"
            pipe.incr(current)
            pipe.expire(current, 2 * limit.window_seconds)
            pipe.get(f"{self._prefix}:{subject}:{window - 1}")
        answers = pipe.execute()
        over = []
        for n, (_, limit) in enumerate(subjects):
            count, _, before = answers[3 * n : 3 * n + 3]
            overlap = 1.0 - (now % limit.window_seconds) / limit.window_seconds
            over.append(int(count) + int(before or 0) * overlap > limit.count)
        return over
