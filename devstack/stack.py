"""The whole system as local processes: the same commands for `make run` and the e2e tests.

Every service runs under gunicorn exactly as in a zone deployment; only the ports and the
database files differ between a developer's `make run` and a test run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from devstack.ports import wait_for_http
from devstack.redis_server import start_redis

ROOT = Path(__file__).resolve().parent.parent
CALL_SERVICE_PATH = "/fsi/api/rsfComIfsService/callService"

DEV_PORTS = {
    "cloud_service": 8000,
    "hospital_gateway": 8100,
    "integration_platform": 8200,
    "insurance_frontend": 8300,
    "insurance_center": 8400,
    "wechatpay": 8500,
    "alipay": 8600,
    "sms": 8700,
    "redis": 6380,
}


@dataclass(frozen=True)
class Service:
    """One gunicorn process of the stack."""

    name: str
    app: str  # the WSGI factory, 'package:create_app()'
    workers: int = 2
    threads: int = 4
    migrate: tuple[str, ...] = ()  # commands run before start, e.g. ("migrate", "seed")
    # processes started beside it once it is healthy: (name, python -m arguments)
    companions: tuple[tuple[str, tuple[str, ...]], ...] = ()


SERVICES = (
    Service("insurance_center", "simulators.insurance_center:create_app()", 1, 8),
    Service("wechatpay", "simulators.wechatpay:create_app()", 1, 8),
    Service("alipay", "simulators.alipay:create_app()", 1, 8),
    Service("sms", "simulators.sms:create_app()", 1, 8),
    Service("integration_platform", "integration_platform:create_app()", 2, 4, ("migrate", "seed")),
    Service(
        "insurance_frontend",
        "insurance_frontend:create_app()",
        2,
        4,
        ("migrate",),
        (("insurance_scheduler", ("insurance_frontend", "scheduler")),),
    ),
    Service("hospital_gateway", "hospital_gateway:create_app()", 2, 8, ("migrate",)),
    Service(
        "cloud_service",
        "cloud_service:create_app()",
        2,
        4,
        ("migrate",),
        (("cloud_worker", ("cloud_service", "worker")),),
    ),
)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments and blanks skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def stack_env(base: Mapping[str, str], ports: Mapping[str, int], var_dir: Path) -> dict[str, str]:
    """The settings every process of one stack shares: peer URLs from the ports, key paths
    made absolute under var_dir/keys."""
    env = dict(base)
    host = "http://127.0.0.1"
    env.update(
        {
            "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "GATEWAY_URL": f"{host}:{ports['hospital_gateway']}/gateway",
            "CLOUD_ENVELOPE_URL": f"{host}:{ports['cloud_service']}/envelope",
            "CLOUD_PUBLIC_URL": f"{host}:{ports['cloud_service']}",
            "HIP_ENVELOPE_URL": f"{host}:{ports['integration_platform']}/envelope",
            "INSFE_ENVELOPE_URL": f"{host}:{ports['insurance_frontend']}/envelope",
            "INSURANCE_CENTER_URL": f"{host}:{ports['insurance_center']}{CALL_SERVICE_PATH}",
            "WECHAT_API_URL": f"{host}:{ports['wechatpay']}",
            "WECHAT_OAUTH_URL": f"{host}:{ports['wechatpay']}",
            "WECHAT_OAUTH_API_URL": f"{host}:{ports['wechatpay']}",
            "WECHAT_JSBRIDGE_SCRIPT_URL": f"{host}:{ports['wechatpay']}/jsbridge.js",
            "ALIPAY_API_URL": f"{host}:{ports['alipay']}/gateway.do",
            "ALIPAY_OAUTH_URL": f"{host}:{ports['alipay']}/oauth2/publicAppAuthorize.htm",
            "ALIPAY_JSBRIDGE_SCRIPT_URL": f"{host}:{ports['alipay']}/jsbridge.js",
            "SMS_API_URL": f"{host}:{ports['sms']}",
        }
    )
    for key, value in base.items():
        if key.endswith("_KEY_PATH") or key == "WECHAT_PUBLIC_KEY_PATH":
            env[key] = str(var_dir / "keys" / Path(value).name)
    return env


def service_env(env: Mapping[str, str], name: str, var_dir: Path) -> dict[str, str]:
    """One process's environment: the stack's plus its own database."""
    own = {**os.environ, **env}
    database = f"sqlite:///{var_dir / (name + '.db')}"
    own["DATABASE_URL"] = env.get(f"{name.upper()}_DATABASE_URL", database)
    own["CENTER_DATABASE_URL"] = own["DATABASE_URL"]
    own["WECHATPAY_SIM_DATABASE_URL"] = own["DATABASE_URL"]
    own["ALIPAY_SIM_DATABASE_URL"] = own["DATABASE_URL"]
    own["SMS_SIM_DATABASE_URL"] = own["DATABASE_URL"]
    return own


@dataclass
class Stack:
    """Start and stop every process of the system."""

    ports: dict[str, int]
    var_dir: Path
    base_env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = stack_env(self.base_env, self.ports, self.var_dir)
        (self.var_dir / "logs").mkdir(parents=True, exist_ok=True)

    def log_path(self, name: str) -> Path:
        """Where a process writes its stdout and stderr."""
        return self.var_dir / "logs" / f"{name}.log"

    def url(self, name: str) -> str:
        """The base URL of a service of this stack."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self) -> None:
        """Keys, Redis, migrations and seed, then every gunicorn, each waited for healthy."""
        from devstack.keys import ensure_dev_keys

        ensure_dev_keys(ROOT, self.env)
        self.processes["redis"] = start_redis(
            self.ports["redis"], self.var_dir / "redis", self.log_path("redis")
        )
        for service in SERVICES:
            self.start_service(service)

    def _env(self, service: str) -> dict[str, str]:
        """A service's environment; every worker and companion of one service writes its
        metrics in one folder, which /metrics sums."""
        env = service_env(self.env, service, self.var_dir)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(self.var_dir / "metrics" / service)
        return env

    def start_service(self, service: Service, fresh: bool = True) -> None:
        """Migrate (and seed) one service, start its gunicorn, wait for /healthz. ``fresh``:
        its counters start at zero (not on a restart, while its companions still count)."""
        env = self._env(service.name)
        metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
        if fresh:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, exist_ok=True)
        for step in service.migrate:
            subprocess.run(
                [sys.executable, "-m", service.name, step],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        log = open(self.log_path(service.name), "ab")  # noqa: SIM115
        self.processes[service.name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.ports[service.name]}",
                "--workers",
                str(service.workers),
                "--threads",
                str(service.threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
                service.app,
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_http(f"{self.url(service.name)}/healthz", 60)
        for companion, command in service.companions:
            self._start_companion(companion, command, env)

    def _start_companion(self, name: str, command: tuple[str, ...], env: dict[str, str]) -> None:
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", *command],
            env=env,
            cwd=ROOT,
            stdout=open(self.log_path(name), "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str) -> None:
        """SIGKILL one process (a service's gunicorn or a companion) and its process group."""
        process = self.processes[name]
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
        process.wait(timeout=10)

    def restart(self, name: str) -> None:
        """Start a killed process again as start() did (a service waits for /healthz)."""
        for service in SERVICES:
            if service.name == name:
                self.start_service(replace(service, migrate=(), companions=()), fresh=False)
                return
            for companion, command in service.companions:
                if companion == name:
                    self._start_companion(companion, command, self._env(service.name))
                    return
        raise KeyError(name)

    def stop(self) -> None:
        """Stop every process (TERM, then KILL after a grace period)."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
