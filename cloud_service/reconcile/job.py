"""The daily reconciliation of yesterday, an APScheduler job in the saga worker process."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler

from cloud_service.catalog_job import daily_trigger
from cloud_service.deps import Deps
from cloud_service.reconcile.report import reconcile_day
from envelope import clock

log = logging.getLogger(__name__)
JOB_ID = "daily_reconciliation"


def reconcile_yesterday(deps: Deps) -> None:
    """Reconcile the previous day with repairs; a failure waits for an on-demand run."""
    day = clock.today() - timedelta(days=1)
    try:
        reconcile_day(deps, day, repair=True)
    except Exception:
        log.exception("daily reconciliation of %s failed; run it on demand", day)


def schedule_daily(scheduler: BaseScheduler, deps: Deps, at: str) -> None:
    """Add the daily job at HH:MM Asia/Shanghai to a running or starting scheduler."""
    scheduler.add_job(
        reconcile_yesterday,
        daily_trigger(at),
        args=[deps],
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    log.info("reconciliation scheduled daily at %s Asia/Shanghai", at)
