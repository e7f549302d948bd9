"""The chaos run: orders under SIGKILLs and lost replies, then recovery, reconciliation and
the ledger checks, under CPU contention (a busy process per core; --no-contention turns it
off); the report under var/chaos/, each violation, one summary line.
``python -m tests.chaos.run --orders 200`` (make chaos)."""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloud_service import build_deps
from cloud_service.reconcile import reconcile_day
from cloud_service.settings import Settings
from devstack.ports import free_port
from devstack.stack import DEV_PORTS, ROOT, Stack, read_env_file, service_env
from envelope import clock
from tests.chaos import checks, contention, population, report
from tests.chaos.faults import INSURANCE_READ_TIMEOUT, Chaos
from tests.chaos.population import Plan

CHAOS_ENV = {
    "PAYMENT_MINUTES": "1",  # unpaid orders close within the run
    "WORKER_INTERVAL_MS": "200",
    "GATEWAY_TIMEOUT_SECONDS": "8",
    "INSURANCE_READ_TIMEOUT": str(INSURANCE_READ_TIMEOUT),
    "WECHATPAY_SIM_NOTIFY_SCHEDULE": "3,5,10,20",  # notifications arrive late, and again
    "ALIPAY_SIM_NOTIFY_SCHEDULE": "4,6,12,20",
    "WECHATPAY_SIM_REFUND_SECONDS": "0.5",
}


@dataclass
class Summary:
    """The figures of one run."""

    orders: int
    faults: int
    repairs: int
    violations: list[checks.Violation]
    seconds: float
    fault_log: list[str] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        """The one summary line."""
        return (
            f"chaos: orders={self.orders} faults={self.faults} repairs={self.repairs} "
            f"violations={len(self.violations)} seconds={self.seconds:.0f}"
        )


@contextmanager
def chaos_stack(var_dir: Path) -> Iterator[Stack]:
    """The whole system on free ports, with the chaos settings."""
    ports = {name: free_port() for name in DEV_PORTS}
    base = {**read_env_file(ROOT / "deploy" / "dev.env"), **CHAOS_ENV}
    stack = Stack(ports=ports, var_dir=var_dir, base_env=base)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _wait_final(stack: Stack, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(o["state"] in checks.FINAL for o in checks.cloud_orders(stack)):
            return
        time.sleep(2)


TOP_UP_ROUNDS = 5  # refusals while a service is down are made up for, this many times


def _place(stack: Stack, plans: list[Plan], orders: int, seed: int, threads: int) -> list[Plan]:
    """Drive the planned orders, then top up until the cloud holds at least ``orders``."""
    batch = plans
    for round_no in range(TOP_UP_ROUNDS + 1):
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(population.drive, sorted(batch, key=lambda p: p.start_after)))
        short = orders - len(checks.cloud_orders(stack))
        if short <= 0 or round_no == TOP_UP_ROUNDS:
            break
        batch = population.top_up(stack, plans, short, f"{seed}T{round_no}", short * 0.5, round_no)
        plans = plans + batch
    return plans


def run(stack: Stack, orders: int, seed: int, threads: int = 8) -> Summary:
    """Place at least ``orders`` orders under chaos, recover, reconcile with repair, check
    the ledgers."""
    started = time.monotonic()
    rng = random.Random(seed)
    schedule_ids = population.schedules(stack, orders, str(seed))
    spread = max(20.0, orders * 0.5)  # the chaos lasts as long as orders keep coming
    plans = population.plans(stack, orders, rng, schedule_ids, spread)
    chaos = Chaos(stack, rng)
    chaos.start()
    try:
        plans = _place(stack, plans, orders, seed, threads)
    finally:
        chaos.finish()
    print("\n".join(chaos.log))
    _wait_final(stack, 240)  # recovery: unpaid orders close after PAYMENT_MINUTES
    deps = build_deps(Settings.from_env(service_env(stack.env, "cloud_service", stack.var_dir)))
    repairs = 0
    for _ in range(4):  # a repair refused now (a peer busy or down) is tried again
        summary = reconcile_day(deps, clock.today(), repair=True)["summary"]
        repairs += summary["repaired"]
        _wait_final(stack, 60)
        if not summary["failed"]:
            break
        time.sleep(5)
    return Summary(
        orders=len(checks.cloud_orders(stack)),
        faults=chaos.faults,
        repairs=repairs,
        violations=checks.violations(stack),
        seconds=time.monotonic() - started,
        fault_log=chaos.log,
        plans=[population.outcome_of(p) for p in plans],
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tests.chaos.run")
    parser.add_argument("--orders", type=int, default=200, help="at least this many orders")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 10000)
    parser.add_argument(
        "--no-contention",
        dest="contention",
        action="store_false",
        help="do not load every core with a busy process during the run",
    )
    parser.add_argument(
        "--contention-seconds",
        type=float,
        default=contention.DEFAULT_SECONDS,
        help="the busy processes stop after this long at the latest",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """`make chaos`: a fresh stack under CPU contention, the run, the report file, each
    violation and the summary line; 1 when a rule was broken."""
    args = _parser().parse_args(argv)
    contention.exit_on_sigterm()  # a terminated run still stops its stack and busy loops
    busy = contention.cores() if args.contention else 0
    with ExitStack() as scope:
        tmp = Path(scope.enter_context(tempfile.TemporaryDirectory(prefix="chaos")))
        stack = scope.enter_context(chaos_stack(tmp))
        scope.enter_context(contention.cpu_contention(busy, args.contention_seconds))
        summary = run(stack, args.orders, args.seed)
        figures = {
            "line": summary.line(),
            "contention_processes": busy,
            "orders_asked": args.orders,
        }
        path = report.write(
            tmp, args.seed, figures, summary.violations, summary.fault_log, summary.plans
        )
    for violation in summary.violations:
        print(f"VIOLATION {violation}")
    print(f"report: {path}")
    print(f"{summary.line()} seed={args.seed} contention={busy}")
    return 1 if summary.violations else 0


if __name__ == "__main__":
    sys.exit(main())
