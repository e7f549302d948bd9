"""Run deploy/docker-compose.yml without Docker: each service's own command and environment
as a local process, started as compose starts them (after what they depend on).

Only what a container would differ in is translated: every service's container port becomes
a free local port and its hostname 127.0.0.1; PostgreSQL services become SQLite files; the
image's /app/var (volumes) becomes a temporary directory; Redis images become a local
redis-server. A long-running service counts as started when its own healthcheck passes; a
one-shot job must exit 0, as `service_completed_successfully` demands.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.ports import free_port
from devstack.redis_server import start_redis
from tests.deploy.compose_file import (
    ROOT,
    container_port,
    image_of,
    is_job,
    start_order,
)

POSTGRES_URL = re.compile(r"postgresql://[^@/\s]*@([A-Za-z0-9_-]+):\d+/[A-Za-z0-9_]+")
# What the Dockerfile's ENV gives every container.
IMAGE_ENV = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "TZ": "Asia/Shanghai"}


@dataclass
class LocalCompose:
    """The services of one compose file running as local processes."""

    services: dict[str, dict[str, Any]]
    workdir: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = {
            name: free_port()
            for name, service in self.services.items()
            if container_port(service) is not None
        }
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)

    def url(self, name: str) -> str:
        """The local base URL of a service."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def resolve(self, text: str, own: str | None = None) -> str:
        """A compose value as it must read on this machine."""
        text = POSTGRES_URL.sub(lambda m: f"sqlite:///{self.workdir / m.group(1)}.db", text)
        for name, port in self.ports.items():
            inside = container_port(self.services[name])
            text = text.replace(f"//{name}:{inside}", f"//127.0.0.1:{port}")
            if name == own:  # its own healthcheck asks 127.0.0.1 inside the container
                text = text.replace(f"127.0.0.1:{inside}/", f"127.0.0.1:{port}/")
        text = text.replace("/app/var/", f"{self.workdir}/var/")
        return f"{self.workdir}/{text}" if text.startswith("var/") else text

    def environment(self, name: str) -> dict[str, str]:
        """The process environment: the image's, the service's (resolved), a local bind."""
        service = self.services[name]
        env = {"PATH": os.environ.get("PATH", ""), **IMAGE_ENV}
        for key, value in (service.get("environment") or {}).items():
            env[key] = self.resolve(str(value), name)
        if name in self.ports:
            env["GUNICORN_BIND"] = f"127.0.0.1:{self.ports[name]}"
        return env

    def argv(self, command: list[str], own: str | None = None) -> list[str]:
        """A compose command (or healthcheck) with this machine's Python and addresses."""
        resolved = [self.resolve(str(part), own) for part in command]
        if resolved[:1] == ["gunicorn"]:
            return [sys.executable, "-m", "gunicorn", *resolved[1:]]
        if resolved[:1] == ["python"]:
            return [sys.executable, *resolved[1:]]
        return resolved

    def start(self) -> None:
        """Start every service once what it depends_on is healthy (or done), in parallel
        where compose would start in parallel; raise the first failure."""
        order = start_order(self.services)
        with ThreadPoolExecutor(max_workers=len(order)) as pool:
            started: dict[str, Future[None]] = {}
            for name in order:
                needs = [started[d] for d in self.services[name].get("depends_on") or {}]
                started[name] = pool.submit(self._start_after, name, needs)
            for name in order:
                started[name].result()

    def _start_after(self, name: str, needs: list[Future[None]]) -> None:
        for need in needs:
            need.result()
        service = self.services[name]
        image = image_of(service)
        if image == "postgres":
            return  # its URL was turned into a SQLite file
        if image == "redis":
            self.processes[name] = start_redis(self.ports[name], self.workdir / name)
        elif is_job(service):
            self._run_job(name)
        else:
            self._start_service(name)

    def _log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def _run_job(self, name: str) -> None:
        done = subprocess.run(
            self.argv(self.services[name]["command"]),
            env=self.environment(name),
            cwd=ROOT,
            capture_output=True,
            timeout=120,
        )
        output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        assert done.returncode == 0, f"one-shot {name} failed ({done.returncode}): {output}"

    def _start_service(self, name: str) -> None:
        with open(self._log(name), "ab") as log:
            self.processes[name] = subprocess.Popen(
                self.argv(self.services[name]["command"]),
                env=self.environment(name),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_healthy(name)

    def healthcheck(self, name: str) -> subprocess.CompletedProcess[bytes]:
        """Run the service's own compose healthcheck (CMD form) once."""
        test = [str(part) for part in self.services[name]["healthcheck"]["test"]]
        assert test[0] == "CMD", f"{name}: healthcheck must be the exec form"
        return subprocess.run(
            self.argv(test[1:], name),
            env=self.environment(name),
            cwd=ROOT,
            capture_output=True,
            timeout=15,
        )

    def wait_healthy(self, name: str, seconds: float = 60.0) -> None:
        """Poll the healthcheck until it passes; fail if the process dies or time runs out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise AssertionError(f"{name} exited: {self.tail(name)}")
            if self.healthcheck(name).returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"{name} not healthy after {seconds}s: {self.tail(name)}")

    def tail(self, name: str, lines: int = 20) -> str:
        """The last lines a service wrote."""
        path = self._log(name)
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """TERM every process group, then KILL what is left after a grace period."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
