"""``python -m cloud_service migrate | worker``."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from cloud_service import build_deps, worker
from cloud_service.settings import Settings
from servicekit import logs
from servicekit.db import migrate


def main() -> None:
    """Run a cloud_service command."""
    parser = argparse.ArgumentParser(prog="cloud_service")
    parser.add_argument("command", choices=["migrate", "worker"])
    args = parser.parse_args()
    settings = Settings.from_env()
    logs.configure("cloud_service.worker" if args.command == "worker" else "cloud_service")
    if args.command == "migrate":
        migrate(settings.database_url, Path(__file__).parent / "migrations")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.run_forever(build_deps(settings), settings.worker_interval_seconds, stop)


if __name__ == "__main__":
    main()
