"""Sign-in (9001) and sign-out (9002): one sign_no a day, shared by every worker.

The serial lives in the sign_ins table; a Redis lock makes sure only one worker signs in. The
first use on a new day signs in anew and signs the previous serial out; a serial stays
valid for INSURANCE_SIGN_VALID_DAYS, so a failed sign-in or sign-out never stops settlement.
"""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock, codes
from envelope.codes import EnvelopeError
from insurance_frontend.ledger import FAILED, OK, aware
from insurance_frontend.models import SignInRow
from insurance_frontend.national import NationalClient
from servicekit.db import transaction

log = logging.getLogger("insurance_frontend.signin")

LOCK_NAME = "insfe:signin:lock"


class SignIns:
    """Keeps a valid sign_no for the whole service."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        redis: Any,
        national: NationalClient,
        valid_days: int = 5,
    ) -> None:
        self.factory = factory
        self.redis = redis
        self.national = national
        self.valid_days = valid_days

    def current(self, at: datetime | None = None) -> SignInRow | None:
        """The newest serial that is neither signed out nor expired."""
        at = at or clock.now()
        with self.factory() as session:
            rows = session.scalars(
                select(SignInRow)
                .where(SignInRow.signed_out_at.is_(None))
                .order_by(SignInRow.id.desc())
                .limit(5)
            )
            for row in rows:
                if aware(row.valid_until) > at:
                    return row
        return None

    def ensure(self) -> str:
        """Today's sign_no: signed in now when there is none for today."""
        row = self.current()
        if row is not None and aware(row.signed_at).date() == clock.today():
            return row.sign_no
        lock = self.redis.lock(LOCK_NAME, timeout=60, blocking_timeout=20)
        if not lock.acquire():
            if row is not None:
                return row.sign_no
            raise EnvelopeError(codes.INSURANCE_UNAVAILABLE, "insurance sign-in in progress")
        try:
            fresh = self.current()
            if fresh is not None and aware(fresh.signed_at).date() == clock.today():
                return fresh.sign_no
            return self._renew(fresh)
        finally:
            lock.release()

    def sign_in_now(self) -> str:
        """Sign in regardless of the current serial (the staff command)."""
        with self.redis.lock(LOCK_NAME, timeout=60, blocking_timeout=20):
            return self._renew(self.current())

    def _renew(self, previous: SignInRow | None) -> str:
        try:
            sign_no = self._sign_in()
        except EnvelopeError:
            if previous is not None:
                log.warning("sign-in failed; the previous serial is still valid, using it")
                return previous.sign_no
            raise
        if previous is not None:
            self.sign_out(previous.sign_no)
        return sign_no

    def _sign_in(self) -> str:
        node = {
            "signIn": {"opter_no": self.national.settings.opter_no, "mac": "", "ip": _local_ip()}
        }
        answer = self.national.call("9001", node)
        if answer.outcome != OK:
            if not answer.reached or answer.outcome != FAILED:
                raise EnvelopeError(codes.INSURANCE_UNAVAILABLE, "insurance sign-in: no answer")
            raise EnvelopeError(
                codes.SIGN_IN_REQUIRED, f"insurance sign-in refused: {answer.err_msg}"
            )
        sign_no = str(answer.output.get("signinoutb", {}).get("sign_no") or "")
        if not sign_no:
            raise EnvelopeError(codes.SIGN_IN_REQUIRED, "insurance sign-in gave no sign_no")
        now = clock.now()
        with transaction(self.factory) as session:
            session.add(
                SignInRow(
                    sign_no=sign_no,
                    signed_at=now,
                    valid_until=now + timedelta(days=self.valid_days),
                )
            )
        log.info("signed in to the insurance center")
        return sign_no

    def sign_out(self, sign_no: str) -> bool:
        """9002 for a serial; True when the center confirmed it."""
        node = {"signOut": {"sign_no": sign_no, "opter_no": self.national.settings.opter_no}}
        answer = self.national.call("9002", node, sign_no=sign_no)
        if answer.outcome != OK:
            log.warning("sign-out not confirmed: %s", answer.err_msg)
            return False
        with transaction(self.factory) as session:
            row = session.scalars(select(SignInRow).where(SignInRow.sign_no == sign_no)).first()
            if row is not None:
                row.signed_out_at = clock.now()
        return True


def _local_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
