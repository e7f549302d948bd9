"""``python -m cloud_service migrate | worker | refresh-catalog | reconcile``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import date, timedelta
from pathlib import Path

from cloud_service import build_deps, catalog_job
from cloud_service.deps import Deps
from cloud_service.reconcile import job
from cloud_service.reconcile.report import reconcile_day
from cloud_service.saga import worker
from cloud_service.settings import Settings
from envelope import clock
from servicekit import logs
from servicekit.db import migrate


def main(argv: list[str] | None = None) -> int:
    """Run a cloud_service command."""
    parser = argparse.ArgumentParser(prog="cloud_service")
    parser.add_argument("command", choices=["migrate", "worker", "refresh-catalog", "reconcile"])
    parser.add_argument("--date", help="reconcile: the day, yyyy-mm-dd (default yesterday)")
    parser.add_argument("--repair", action="store_true", help="reconcile: apply safe repairs")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    logs.configure("cloud_service.worker" if args.command == "worker" else "cloud_service")
    if args.command == "migrate":
        migrate(settings.database_url, Path(__file__).parent / "migrations")
        return 0
    deps = build_deps(settings)
    if args.command == "refresh-catalog":
        counts = catalog_job.refresh_now(deps)
        print(f"cloud_service: catalogue refreshed {counts}" if counts else "refresh failed")
        return 0 if counts else 1
    if args.command == "reconcile":
        return _reconcile(deps, args.date, args.repair)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler = catalog_job.start_daily_refresh(deps, settings.catalog_refresh_at)
    job.schedule_daily(scheduler, deps, settings.reconcile_at)
    try:
        worker.run_forever(deps, settings.worker_interval_seconds, stop, settings.worker_threads)
    finally:
        scheduler.shutdown(wait=False)
    return 0


def _reconcile(deps: Deps, day_text: str | None, repair: bool) -> int:
    """Reconcile one day and print the report as JSON; 1 when a difference needs a person."""
    try:
        day = date.fromisoformat(day_text) if day_text else clock.today() - timedelta(days=1)
    except ValueError:
        print("cloud_service: --date must be yyyy-mm-dd", file=sys.stderr)
        return 2
    report = reconcile_day(deps, day, repair=repair)
    print(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))
    summary = report["summary"]
    return 1 if summary["for_person"] or summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
