"""The chaos itself: SIGKILL and restart of random processes at random moments, and the
outside parties committing, then dropping their reply."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import redis
import requests

from devstack.stack import Stack

KILLABLE = (
    "cloud_service",
    "cloud_worker",
    "hospital_gateway",
    "integration_platform",
    "insurance_frontend",
)
INSURANCE_READ_TIMEOUT = 2  # seconds; the center's "drop" sleeps longer than this
CHANNEL_DROP_SECONDS = 11  # longer than the cloud's channel read timeout (10 s)


@dataclass
class Chaos:
    """A thread injecting one fault every ``every`` seconds (on average) until stopped."""

    stack: Stack
    rng: random.Random
    every: float = 0.7
    faults: int = 0
    log: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    down: set[str] = field(default_factory=set)  # killed, restart pending
    restarts: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        """Begin injecting."""
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        """Stop injecting, clear every pending fault, and bring every process back."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=60)
        for restart in self.restarts:
            restart.join(timeout=90)
        for name in ("insurance_center", "wechatpay", "alipay"):
            requests.delete(f"{self.stack.url(name)}/sim/faults", timeout=10)
        for name in KILLABLE:
            if self.stack.processes[name].poll() is not None:
                self.stack.restart(name)

    def _loop(self) -> None:
        while not self.stop.wait(self.rng.uniform(0.5, 1.5) * self.every):
            try:
                self._one()
            except Exception as exc:  # a fault that could not be injected is not counted
                self.log.append(f"injection failed: {exc!r}")

    def _one(self) -> None:
        choice = self.rng.random()
        if choice < 0.5:
            name = self.rng.choice([n for n in KILLABLE if n not in self.down])
            self.down.add(name)
            self.stack.kill(name)
            if name == "insurance_frontend":
                self._expire_orphan_locks()
            self.faults += 1
            self.log.append(f"SIGKILL {name}")
            later = threading.Thread(target=self._restart, args=(name,), daemon=True)
            later.start()
            self.restarts.append(later)
        elif choice < 0.75:
            infno = self.rng.choice(("2207", "2207", "2208", "2601"))
            self._post("insurance_center", {"infno": infno, "mode": "drop",
                       "seconds": INSURANCE_READ_TIMEOUT + 1, "count": 1})  # fmt: skip
            self.log.append(f"center drops the reply of {infno}")
        elif choice < 0.88:
            prefix = self.rng.choice(("/v3/pay/transactions", "/v3/refund"))
            self._post("wechatpay", {"mode": "drop", "path_prefix": prefix,
                       "seconds": CHANNEL_DROP_SECONDS, "count": 1})  # fmt: skip
            self.log.append(f"WeChat Pay drops the reply of {prefix}")
        else:
            method = self.rng.choice(("alipay.trade.query", "alipay.trade.refund"))
            self._post("alipay", {"mode": "drop", "method": method,
                       "seconds": CHANNEL_DROP_SECONDS, "count": 1})  # fmt: skip
            self.log.append(f"Alipay drops the reply of {method}")

    def _restart(self, name: str) -> None:
        time.sleep(self.rng.uniform(0.2, 2.0))
        try:
            self.stack.restart(name)
        finally:
            self.down.discard(name)

    def _expire_orphan_locks(self) -> None:
        """Every per-order lock of the killed insurance_frontend has lost its owner; end them
        now, as their expiry would (300 s there, too long for this run)."""
        client = redis.Redis.from_url(self.stack.env["REDIS_URL"])
        for key in client.scan_iter("insfe:order:*"):
            client.delete(key)
        client.close()

    def _post(self, name: str, fault: dict[str, object]) -> None:
        answer = requests.post(f"{self.stack.url(name)}/sim/faults", json=fault, timeout=10)
        answer.raise_for_status()
        self.faults += 1
