"""Sign-in (9001) and sign-out (9002): one serial at a time, shared by every worker.

The rule: a serial is signed out before the next one is signed in, as the center allows one
open serial per operator. The daily cycle (the scheduler at INSURANCE_SIGNIN_AT, or the first
use of a new day) signs yesterday's serial out, then signs in. When the sign-out fails, no new
serial is opened and settlement keeps using the old one while it is valid
(INSURANCE_SIGN_VALID_DAYS, five by default); after that every message is refused with 2013
SIGN_IN_REQUIRED until a sign-out and sign-in succeed. Serials live in the sign_ins table; a
Redis lock makes sure only one worker signs at a time. "now" is injectable for tests.

Every message asks for the current serial, so each worker keeps the one it read last and
reads the table again only when the Redis counter GENERATION_KEY, raised after every sign-in
and sign-out, has moved (or CACHE_SECONDS have passed, or Redis does not answer).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from insurance_frontend.ledger import FAILED, OK, aware
from insurance_frontend.locks import held
from insurance_frontend.models import SignInRow
from insurance_frontend.national import NationalClient
from servicekit.db import transaction

log = logging.getLogger("insurance_frontend.signin")

LOCK_NAME = "insfe:signin:lock"
LOCK_SECONDS = 120.0  # how long a killed worker keeps the others from signing in
TRIED_KEY = "insfe:signin:tried:"  # + date: the daily cycle was tried on first use that day
GENERATION_KEY = "insfe:signin:generation"  # raised after every sign-in and sign-out
CACHE_SECONDS = 60.0  # the longest a worker trusts its serial without reading the table


class SignIns:
    """Keeps a valid sign_no for the whole service."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        redis: Any,
        national: NationalClient,
        valid_days: int = 5,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self.factory = factory
        self.redis = redis
        self.national = national
        self.valid_days = valid_days
        self.now = now
        # (generation, serial, time.monotonic() when read) of the last read of the table
        self._known: tuple[object, SignInRow, float] | None = None

    def current(self, at: datetime | None = None) -> SignInRow | None:
        """The newest serial that is neither signed out nor expired."""
        at = at or self.now()
        generation = self._generation()
        if self._still_known(generation, at):
            return self._known[1]  # type: ignore[index]
        for row in reversed(self.open_serials()):
            if aware(row.valid_until) > at:
                if generation is not None:
                    self._known = (generation, row, time.monotonic())
                return row
        return None

    def _still_known(self, generation: object | None, at: datetime) -> bool:
        """The serial read last is still the current one, without reading the table."""
        known = self._known
        return (
            known is not None
            and generation == known[0]
            and time.monotonic() - known[2] < CACHE_SECONDS
            and aware(known[1].valid_until) > at
        )

    def _generation(self) -> object | None:
        """The counter of sign-ins and sign-outs; None (read the table) when Redis is away."""
        try:
            value = self.redis.get(GENERATION_KEY)
        except RedisError:
            return None
        return b"0" if value is None else value

    def _changed(self) -> None:
        """A serial was opened or closed: every worker reads the table again."""
        self._known = None
        try:
            self.redis.incr(GENERATION_KEY)
        except RedisError as exc:  # the others notice within CACHE_SECONDS
            log.warning("sign-in change not announced: %s", exc)

    def open_serials(self) -> list[SignInRow]:
        """Every serial not signed out (expired ones too), oldest first."""
        with self.factory() as session:
            query = select(SignInRow).where(SignInRow.signed_out_at.is_(None))
            return list(session.scalars(query.order_by(SignInRow.id)))

    def ensure(self) -> str:
        """The sign_no to send now; signs in when no serial is valid (2013 when it cannot)."""
        row = self.current()
        if row is not None and aware(row.signed_at).date() == self.now().date():
            return row.sign_no
        if row is not None:
            self._daily_on_first_use()
            fresh = self.current()
            return fresh.sign_no if fresh is not None else row.sign_no
        with self._lock():
            fresh = self.current()
            return fresh.sign_no if fresh is not None else self._cycle(force=False)

    def daily(self) -> str:
        """The daily cycle: sign out every serial of an earlier day, then sign in.

        Raises (2013 or 3002) when a sign-out or the sign-in failed; the old serial, when
        still valid, stays in use.
        """
        with self._lock():
            return self._cycle(force=False)

    def sign_in_now(self) -> str:
        """Staff command: sign out every open serial, today's too, then sign in."""
        with self._lock():
            return self._cycle(force=True)

    def sign_out_now(self, sign_no: str = "") -> str:
        """Staff command: sign out one serial (the current one by default)."""
        row = self.current()
        target = sign_no or (row.sign_no if row is not None else "")
        if not target:
            raise EnvelopeError(codes.RECORD_NOT_FOUND, "no open serial to sign out")
        with self._lock():
            self._sign_out(target)
        return target

    @contextmanager
    def _lock(self) -> Iterator[None]:
        # Renewed while a cycle runs (locks.py): a few slow sign-outs and a sign-in must not
        # let a second worker open another serial, nor fail a sign-in already recorded.
        with held(self.redis, LOCK_NAME, LOCK_SECONDS, wait=30) as lease:
            if lease is None:
                raise EnvelopeError(codes.INSURANCE_UNAVAILABLE, "insurance sign-in in progress")
            yield

    def _daily_on_first_use(self) -> None:
        """Without the scheduler, the first use of a day runs the cycle once (failures logged)."""
        if not self.redis.set(TRIED_KEY + self.now().date().isoformat(), "1", nx=True, ex=86400):
            return
        try:
            self.daily()
        except EnvelopeError as exc:
            log.warning("daily sign cycle failed, keeping the valid serial: %s", exc.result_msg)

    def _cycle(self, force: bool) -> str:
        today = self.now().date()
        kept: SignInRow | None = None
        for row in self.open_serials():
            if not force and aware(row.signed_at).date() == today:
                kept = row  # today's serial is already open
                continue
            self._sign_out(row.sign_no)
        return kept.sign_no if kept is not None else self._sign_in()

    def _sign_out(self, sign_no: str) -> None:
        node = {"signOut": {"sign_no": sign_no, "opter_no": self.national.settings.opter_no}}
        answer = self.national.call("9002", node, sign_no=sign_no)
        if answer.outcome != OK:
            log.warning("sign-out of a serial not confirmed: %s", answer.err_msg)
            raise _sign_error("sign-out", answer.reached, answer.outcome, answer.err_msg)
        with transaction(self.factory) as session:
            row = session.scalars(select(SignInRow).where(SignInRow.sign_no == sign_no)).first()
            if row is not None:
                row.signed_out_at = self.now()
        self._changed()
        log.info("signed out of the insurance center")

    def _sign_in(self) -> str:
        node = {
            "signIn": {"opter_no": self.national.settings.opter_no, "mac": "", "ip": _local_ip()}
        }
        answer = self.national.call("9001", node)
        if answer.outcome != OK:
            raise _sign_error("sign-in", answer.reached, answer.outcome, answer.err_msg)
        sign_no = str(answer.output.get("signinoutb", {}).get("sign_no") or "")
        if not sign_no:
            raise EnvelopeError(codes.SIGN_IN_REQUIRED, "insurance sign-in gave no sign_no")
        now = self.now()
        with transaction(self.factory) as session:
            session.add(
                SignInRow(
                    sign_no=sign_no,
                    signed_at=now,
                    valid_until=now + timedelta(days=self.valid_days),
                )
            )
        self._changed()
        log.info("signed in to the insurance center")
        return sign_no


def _sign_error(what: str, reached: bool, outcome: str, err_msg: str) -> EnvelopeError:
    if not reached:
        return EnvelopeError(codes.INSURANCE_UNAVAILABLE, f"insurance {what}: center unreachable")
    if outcome != FAILED:
        return EnvelopeError(codes.INSURANCE_UNAVAILABLE, f"insurance {what}: no answer")
    return EnvelopeError(
        codes.SIGN_IN_REQUIRED,
        f"insurance {what} refused ({err_msg}); no valid sign-in serial can be opened",
    )


def _local_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
