"""The daily sign cycle as its own process: ``python -m insurance_frontend scheduler``.

At INSURANCE_SIGNIN_AT (default 07:00, Asia/Shanghai) it signs yesterday's serial out and
signs in (SignIns.daily), retrying a failure with exponential backoff
(INSURANCE_SIGNIN_RETRIES attempts, INSURANCE_SIGNIN_BACKOFF seconds doubling). When every
attempt fails, settlement keeps using the old serial while it is valid (signin.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from envelope import clock
from envelope.codes import EnvelopeError
from insurance_frontend.ledger import aware
from insurance_frontend.signin import SignIns

log = logging.getLogger("insurance_frontend.scheduler")


def parse_at(text: str) -> tuple[int, int]:
    """'07:00' -> (7, 0); ValueError for anything else."""
    hour, _, minute = text.partition(":")
    if not (hour.isdigit() and minute.isdigit() and 0 <= int(hour) < 24 and 0 <= int(minute) < 60):
        raise ValueError(f"sign-in time must be HH:MM, not {text!r}")
    return int(hour), int(minute)


def daily_cycle(
    signins: SignIns,
    attempts: int = 5,
    backoff_seconds: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Run the sign cycle with retries; answer the sign_no in use afterwards ('' if none)."""
    retrying = Retrying(
        stop=stop_after_attempt(max(1, attempts)),
        wait=wait_exponential(multiplier=backoff_seconds, max=backoff_seconds * 16),
        retry=retry_if_exception_type(EnvelopeError),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda state: log.warning(
            "daily sign cycle attempt %d failed, retrying", state.attempt_number
        ),
    )
    try:
        return retrying(signins.daily)
    except EnvelopeError as exc:
        kept = signins.current()
        if kept is None:
            log.error("daily sign cycle failed and no serial is valid: %s", exc.result_msg)
            return ""
        log.error(
            "daily sign cycle failed (%s); settling on the old serial until %s",
            exc.result_msg,
            clock.iso(aware(kept.valid_until)),
        )
        return kept.sign_no


def run(signins: SignIns, at: str, attempts: int, backoff_seconds: float) -> None:
    """Block forever, running the cycle every day at ``at`` (and once now if none is valid)."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    hour, minute = parse_at(at)
    scheduler = BlockingScheduler(timezone=clock.SHANGHAI)
    scheduler.add_job(
        daily_cycle,
        CronTrigger(hour=hour, minute=minute, timezone=clock.SHANGHAI),
        args=(signins, attempts, backoff_seconds),
        id="insurance-sign-cycle",
        coalesce=True,
        misfire_grace_time=3600,
        max_instances=1,
    )
    if signins.current() is None:
        daily_cycle(signins, attempts, backoff_seconds)
    log.info("insurance sign cycle scheduled daily at %s", at)
    scheduler.start()
