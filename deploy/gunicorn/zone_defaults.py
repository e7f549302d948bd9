"""What every service's gunicorn shares; each deploy/gunicorn/<service>.py calls settings().

Environment overrides (all optional): GUNICORN_BIND (host:port), GUNICORN_WORKERS,
GUNICORN_THREADS, GUNICORN_TIMEOUT (seconds). Command-line flags still win over this file,
so a launcher may also pass ``--bind``/``--workers``.

The access log is one JSON line per request with no personal data: no client address, no
query string (dates and record numbers travel there), no user agent, no referrer, no
headers; only the method, the path, the status, the size and the duration.
"""

from __future__ import annotations

import os
from typing import Any

SHM = "/dev/shm"  # noqa: S108 - a RAM disk for gunicorn's worker heartbeat files, not temp data
ACCESS_FIELDS = (
    ("method", '"%(m)s"'),
    ("path", '"%(U)s"'),
    ("status", "%(s)s"),
    ("bytes", "%(B)s"),
    ("duration_us", "%(D)s"),
)


def env_int(name: str, default: int) -> int:
    """An integer from the environment; a bad value stops gunicorn at start-up."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, not {value!r}") from exc
    if number < 1:
        raise SystemExit(f"{name} must be at least 1")
    return number


def access_log_format(service: str) -> str:
    """gunicorn's access_log_format: one JSON object a line, no personal data."""
    fields = ",".join(f'"{name}":{atom}' for name, atom in ACCESS_FIELDS)
    return f'{{"log":"access","service":"{service}","time":"%(t)s",{fields}}}'


def settings(service: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """The gunicorn settings of one service listening on ``port`` in its container."""
    return {
        "wsgi_app": f"{service_package(service)}:create_app()",
        "proc_name": f"hospital-pay-{service}",
        "bind": [os.environ.get("GUNICORN_BIND", "").strip() or f"0.0.0.0:{port}"],
        "workers": env_int("GUNICORN_WORKERS", workers),
        "worker_class": "gthread",
        "threads": env_int("GUNICORN_THREADS", threads),
        # Above the slowest honest request: the insurance center may take 30 s (2207).
        "timeout": env_int("GUNICORN_TIMEOUT", 60),
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "access_log_format": access_log_format(service),
        "control_socket_disable": True,
        # The heartbeat file on tmpfs, so a slow container disk never looks like a hung worker.
        "worker_tmp_dir": SHM if os.path.isdir(SHM) else None,
        "child_exit": forget_worker_metrics,
    }


def forget_worker_metrics(_server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook, as prometheus_client's multiprocess guide asks: it drops a
    dead worker's gauges of a ``live*`` mode. Today's one gauge is ``mostrecent``, which
    survives its worker by design, so the hook only keeps a future live gauge right."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def service_package(service: str) -> str:
    """The Python package whose create_app() the service runs."""
    simulators = {"insurance_center", "wechatpay", "alipay", "sms"}
    return f"simulators.{service}" if service in simulators else service
