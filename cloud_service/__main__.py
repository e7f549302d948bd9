"""``python -m cloud_service migrate | worker | refresh-catalog``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from cloud_service import build_deps, catalog_job, worker
from cloud_service.settings import Settings
from servicekit import logs
from servicekit.db import migrate


def main(argv: list[str] | None = None) -> int:
    """Run a cloud_service command."""
    parser = argparse.ArgumentParser(prog="cloud_service")
    parser.add_argument("command", choices=["migrate", "worker", "refresh-catalog"])
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
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler = catalog_job.start_daily_refresh(deps, settings.catalog_refresh_at)
    try:
        worker.run_forever(deps, settings.worker_interval_seconds, stop)
    finally:
        scheduler.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
