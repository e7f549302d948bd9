"""A key rotation is a configuration change with no downtime: the gateway and a backend run
under real gunicorn, a sender keeps sending, keys change by settings file + ``kill -HUP``,
and not one request fails while the sender switches keys. The retired key is then refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devstack.ports import free_port, wait_for_http
from devstack.redis_server import start_redis
from devstack.stack import ROOT
from envelope import CLOUD, HIP, EnvelopeClient, KeyRing

SECRETS = {
    "c1": "rotation-cloud-secret-one",
    "c2": "rotation-cloud-secret-two",
    "h1": "rotation-hip-secret-one",
    "h2": "rotation-hip-secret-two",
}
HOSPITAL = "H00001"


def _keys(link: str, active: str, *previous: str) -> dict[str, str]:
    values = {f"ENVELOPE_KEY_ID_{link}": active, f"ENVELOPE_KEY_{link}": SECRETS[active]}
    if previous:
        values[f"ENVELOPE_PREVIOUS_KEYS_{link}"] = ",".join(f"{k}:{SECRETS[k]}" for k in previous)
    return values


def _write(path: Path, *groups: dict[str, str]) -> None:
    """Write a settings file the way an operator would: a new file moved into place."""
    merged = {k: v for group in groups for k, v in group.items()}
    draft = path.with_suffix(".new")
    draft.write_text("".join(f"{k}={v}\n" for k, v in merged.items()), encoding="utf-8")
    draft.replace(path)


def _ring(active: str, *previous: str) -> KeyRing:
    link = CLOUD if active.startswith("c") else HIP
    values = _keys(link, active, *previous)
    return KeyRing.from_settings(
        link,
        values[f"ENVELOPE_KEY_ID_{link}"],
        values[f"ENVELOPE_KEY_{link}"],
        values.get(f"ENVELOPE_PREVIOUS_KEYS_{link}", ""),
    )


@dataclass
class Traffic:
    """A sender that posts 2001 through the gateway without pause, recording every answer."""

    client: EnvelopeClient
    answers: list[tuple[float, str, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Send until told to stop."""
        while not self.stop.is_set():
            reply = self.client.send("2001", {})
            self.answers.append(
                (time.monotonic(), reply.result_code, str(reply.header.get("key_id")))
            )

    def failures(self) -> list[tuple[float, str, str]]:
        """Every answer that was not a success."""
        return [a for a in self.answers if a[1] != "0000"]

    def since(self, moment: float) -> list[tuple[float, str, str]]:
        """Answers received after a moment."""
        return [a for a in self.answers if a[0] > moment]


def _wait(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start gunicorn processes for the test; every one is stopped at the end."""
    with ExitStack() as stack:

        def start(app: str, port: int, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
            log = stack.enter_context(open(tmp_path / f"{name}.log", "ab"))
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"),
                    *("--workers", "2", "--threads", "4", "--graceful-timeout", "10"),
                    *("--no-control-socket", app),
                ],
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            stack.callback(_stop, process)
            wait_for_http(f"http://127.0.0.1:{port}/healthz", 60)
            return process

        yield start


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_rotating_both_link_keys_under_load_fails_no_request(
    tmp_path: Path, processes: Callable[..., subprocess.Popen[bytes]]
) -> None:
    redis_port, gateway_port, backend_port = free_port(), free_port(), free_port()
    redis = start_redis(redis_port, tmp_path / "redis")
    try:
        _rotate(tmp_path, processes, redis_port, gateway_port, backend_port)
    finally:
        redis.terminate()
        redis.wait(timeout=10)


def _rotate(
    tmp_path: Path,
    processes: Callable[..., subprocess.Popen[bytes]],
    redis_port: int,
    gateway_port: int,
    backend_port: int,
) -> None:
    gateway_file, backend_file = tmp_path / "gateway.env", tmp_path / "backend.env"
    # Before the rotation: the new keys were handed out and are accepted, not yet used.
    _write(gateway_file, _keys(CLOUD, "c1"), _keys(HIP, "h1"))
    _write(backend_file, _keys(HIP, "h1", "h2"))
    database_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    unused = f"http://127.0.0.1:{free_port()}/envelope"
    gateway_env = {
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "HOSPITAL_CODE": HOSPITAL,
        "HIP_ENVELOPE_URL": f"http://127.0.0.1:{backend_port}/envelope",
        "INSFE_ENVELOPE_URL": unused,
        "CLOUD_ENVELOPE_URL": unused,
        "ENVELOPE_KEY_ID_INSFE": "i1",
        "ENVELOPE_KEY_INSFE": "rotation-insfe-secret",
        "DATABASE_URL": database_url,
        "GATEWAY_SETTINGS_FILE": str(gateway_file),
    }
    subprocess.run(
        [sys.executable, "-m", "hospital_gateway", "migrate"],
        env={**os.environ, **gateway_env},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    backend = processes(
        "tests.e2e.gateway_rotation_backend:create_app()",
        backend_port,
        {"ROTATION_BACKEND_KEYS": str(backend_file)},
        "backend",
    )
    gateway = processes("hospital_gateway:create_app()", gateway_port, gateway_env, "gateway")
    url = f"http://127.0.0.1:{gateway_port}/gateway"
    client = EnvelopeClient(
        url, _ring("c1", "c2"), sender=CLOUD, receiver=HIP, hospital_code=HOSPITAL
    )
    traffic = Traffic(client)
    thread = threading.Thread(target=traffic.run, daemon=True)
    thread.start()
    try:
        _wait(lambda: len(traffic.answers) > 20, "traffic flows")
        # 1. The gateway signs with the new keys on both links, still accepting the old ones.
        _write(gateway_file, _keys(CLOUD, "c2", "c1"), _keys(HIP, "h2", "h1"))
        hup = time.monotonic()
        os.kill(gateway.pid, signal.SIGHUP)
        _wait(
            lambda: [a[2] for a in traffic.answers[-10:]] == ["c2"] * 10,
            "the gateway answers with the new CLOUD key",
        )
        during_gateway_reload = len(traffic.since(hup))
        # 2. The sender switches to the new key; 3. the backend signs with its new key.
        client.ring = _ring("c2", "c1")
        _write(backend_file, _keys(HIP, "h2", "h1"))
        os.kill(backend.pid, signal.SIGHUP)
        probe = EnvelopeClient(
            f"http://127.0.0.1:{backend_port}/envelope",
            _ring("h2", "h1"),
            sender=CLOUD,
            receiver=HIP,
            hospital_code=HOSPITAL,
        )
        _wait(lambda: probe.send("2001", {}).header.get("key_id") == "h2", "backend signs h2")
        # 4. After the overlap window the old keys are retired everywhere.
        _write(gateway_file, _keys(CLOUD, "c2"), _keys(HIP, "h2"))
        _write(backend_file, _keys(HIP, "h2"))
        retire = time.monotonic()
        os.kill(gateway.pid, signal.SIGHUP)
        os.kill(backend.pid, signal.SIGHUP)
        old = EnvelopeClient(
            url, _ring("c1", "c2"), sender=CLOUD, receiver=HIP, hospital_code=HOSPITAL
        )
        _wait(lambda: old.send("2001", {}).result_code == "1003", "the old CLOUD key is refused")
        time.sleep(0.5)
        during_retirement = len(traffic.since(retire))
    finally:
        traffic.stop.set()
        thread.join(timeout=30)
    assert traffic.failures() == []
    assert during_gateway_reload > 10 and during_retirement > 10
    # A request arriving while the new workers boot waits (a second or few) but never fails:
    # the listening socket stays open in gunicorn's master throughout.
