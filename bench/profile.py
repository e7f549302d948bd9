"""`python -m bench.profile` (`make profile`): where each service's CPU goes.

Starts the whole system on free ports, attaches py-spy to every process of the project's own
services (each gunicorn master with its workers, and the saga worker) while the complete insured
registrations run, and prints per service: the share of its samples by the library the sampled
frame was in (SQLAlchemy, the database driver, Flask and werkzeug, JSON, signing, pydantic, the
project's own code...), and the project's own functions that hold the most samples including
what they call. The README's profile summary is this command's output.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import scenarios
from bench.databases import postgres_databases
from devstack.ports import free_port
from devstack.stack import DEV_PORTS, ROOT, Stack, read_env_file

OWN_PACKAGES = (
    "cloud_service",
    "hospital_gateway",
    "integration_platform",
    "insurance_frontend",
    "envelope",
    "servicekit",
)
# The library a frame belongs to, by a piece of its file path; the first match names it.
LIBRARIES = (
    ("sqlalchemy", "SQLAlchemy"),
    ("psycopg", "psycopg (PostgreSQL driver)"),
    ("sqlite3", "sqlite3"),
    ("werkzeug", "werkzeug"),
    ("flask", "Flask"),
    ("gunicorn", "gunicorn"),
    ("urllib3", "urllib3 (HTTP client)"),
    ("requests", "requests"),
    ("http/client", "http.client"),
    ("redis", "redis client"),
    ("pydantic", "pydantic"),
    ("json", "json"),
    ("hmac", "hmac / hashlib"),
    ("cryptography", "cryptography"),
    ("logging", "logging"),
    ("prometheus_client", "prometheus_client"),
    ("socket", "sockets"),
    ("ssl", "ssl"),
)


def _library(frame: str) -> str | None:
    """The library (or own package) a py-spy frame ``function (path:line)`` is in."""
    path = frame.rpartition("(")[2]
    for package in OWN_PACKAGES:
        if f"{package}/" in path and "site-packages" not in path:
            return f"own: {package}"
    for piece, name in LIBRARIES:
        if piece in path:
            return name
    return None


def _where(frames: list[str]) -> str:
    """What a sample was spent in: the innermost frame of a known library or own package,
    else the standard-library module of the innermost frame."""
    for frame in reversed(frames):
        library = _library(frame)
        if library is not None:
            return library
    path = frames[-1].rpartition("(")[2].partition(":")[0]
    return f"stdlib: {Path(path).stem}" if path else "interpreter"


def summarise(collapsed: Path, top: int = 8) -> list[str]:
    """Lines describing one service's collapsed stacks (``frame;frame;... count``)."""
    by_library: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        by_library[_where(frames)] += count
        leaves[frames[-1].strip()] += count
        own = {f for f in frames if (_library(f) or "").startswith("own:")}
        for frame in own:
            inclusive[frame.split(" (")[0].strip()] += count
    if total == 0:
        return ["  (no samples)"]
    lines = ["  where the samples were (the sampled frame's library):"]
    lines += [f"    {n * 100 / total:4.0f}%  {name}" for name, n in by_library.most_common(top)]
    lines.append("  the project's functions holding the most samples (with what they call):")
    lines += [f"    {n * 100 / total:4.0f}%  {name}" for name, n in inclusive.most_common(top)]
    lines.append("  the frames sampled most often (self time):")
    lines += [f"    {n * 100 / total:4.0f}%  {name}" for name, n in leaves.most_common(5)]
    return lines


KEPT = ROOT / "var" / "profile"
OURS = (
    "cloud_service",
    "cloud_worker",
    "hospital_gateway",
    "integration_platform",
    "insurance_frontend",
)


def main() -> int:
    """Profile the project's services during the insured registrations."""
    if shutil.which("py-spy") is None and not (Path(sys.executable).parent / "py-spy").exists():
        print("needs py-spy (.venv/bin/pip install py-spy)", file=sys.stderr)
        return 1
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    KEPT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp, postgres_databases() as dbs:
        stack = Stack(
            ports={name: free_port() for name in DEV_PORTS},
            var_dir=Path(tmp),
            base_env={**read_env_file(ROOT / "deploy" / "dev.env"), **dbs},
        )
        recorders: dict[str, subprocess.Popen[bytes]] = {}
        try:
            stack.start()
            time.sleep(1.0)
            chains = scenarios.registration_chains(stack, 40, 8)
            names = [n for n in stack.processes if n in OURS]
            for name in names:
                out = KEPT / f"{name}.txt"
                recorders[name] = subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--pid",
                        str(stack.processes[name].pid),
                        "--subprocesses",
                        "--nonblocking",
                        "--rate",
                        "200",
                        "--format",
                        "raw",
                        "--output",
                        str(out),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            time.sleep(1.0)
            result = scenarios.run_registrations(stack, chains, 16)
        finally:
            for recorder in recorders.values():
                recorder.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            for recorder in recorders.values():
                recorder.wait(timeout=30)
            stack.stop()
        print(result.row())
        for name in recorders:
            ms = result.cpu_ms.get(name, 0.0)
            print(f"\n{name}: {ms:.0f} ms of CPU per complete insured registration")
            print("\n".join(summarise(KEPT / f"{name}.txt")))
        print(f"\nThe samples are kept in {KEPT} (collapsed stacks, one a line).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
