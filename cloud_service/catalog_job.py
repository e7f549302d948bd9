"""The daily catalogue refresh: an APScheduler job in the saga worker process."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from cloud_service import catalog
from cloud_service.deps import Deps
from envelope import clock
from envelope.header import new_trace_id
from servicekit.logs import bind_trace_id

log = logging.getLogger(__name__)
JOB_ID = "catalog_refresh"


def refresh_now(deps: Deps) -> dict[str, int]:
    """Refresh the cache once, logging what came back (a failure waits for the next run)."""
    trace_id = new_trace_id()
    bind_trace_id(trace_id)
    try:
        counts = catalog.refresh(deps, trace_id)
    except Exception:
        log.exception("catalogue refresh failed; cache misses still fetch on demand")
        return {}
    log.info("catalogue refreshed: %s", counts)
    return counts


def daily_trigger(at: str) -> CronTrigger:
    """Every day at HH:MM, Asia/Shanghai."""
    hours, minutes = (int(part) for part in at.split(":"))
    return CronTrigger(hour=hours, minute=minutes, timezone=clock.SHANGHAI)


def start_daily_refresh(deps: Deps, at: str) -> BackgroundScheduler:
    """Start a scheduler that refreshes the catalogue every day at ``at``; the caller stops it."""
    scheduler = BackgroundScheduler(timezone=clock.SHANGHAI)
    scheduler.add_job(
        refresh_now,
        daily_trigger(at),
        args=[deps],
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    scheduler.start()
    log.info("catalogue refresh scheduled daily at %s Asia/Shanghai", at)
    return scheduler
