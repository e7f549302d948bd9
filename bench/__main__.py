"""`python -m bench [name ...]`: start the whole system on free ports and measure it.

Prints a Markdown table for the README. Load goes only to 127.0.0.1, bounded in count.
Names pick benchmarks (envelope, hop, nginx, rush, settlements, reconcile); none runs all.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import hop, reconcile, rush, scenarios
from bench.databases import postgres_databases
from bench.measure import Result
from devstack.ports import free_port
from devstack.stack import DEV_PORTS, ROOT, Stack, read_env_file


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


NAMES = ("envelope", "hop", "nginx", "rush", "settlements", "reconcile")


def main() -> int:
    """Run the chosen benchmarks (every one by default) and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="name", help=", ".join(NAMES))
    chosen = set(parser.parse_args().names or NAMES)
    if chosen - set(NAMES):
        parser.error(f"unknown benchmark {', '.join(sorted(chosen - set(NAMES)))}")
    results = [scenarios.envelope_sign_verify()] if "envelope" in chosen else []
    if chosen & {"hop", "nginx", "rush", "settlements"}:
        results += _on_a_stack(chosen)
    if "reconcile" in chosen:
        try:  # after the stack: the comparison has both cores to itself
            results.append(reconcile.reconciliation())
        except subprocess.CalledProcessError as exc:
            print(f"reconciliation failed: {exc.stderr}", file=sys.stderr)
            return 1
    print(f"\nMachine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
    print("| benchmark | throughput | p50 | p99 | count | failures |")
    print("|---|---|---|---|---|---|")
    for result in results:
        print(result.row())
    for result in results:
        if result.cpu_ms:  # the database's CPU is not included
            print("\n" + "\n".join(scenarios.cpu_table(result.cpu_ms)))
    return 0 if all(r.failures == 0 for r in results) else 1


def _on_a_stack(chosen: set[str]) -> list[Result]:
    """The benchmarks that need the whole system running."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, postgres_databases() as databases:
        print(f"databases: {'PostgreSQL' if databases else 'SQLite'}", file=sys.stderr)
        stack = Stack(
            ports={name: free_port() for name in DEV_PORTS},
            var_dir=Path(tmp),
            base_env={**read_env_file(ROOT / "deploy" / "dev.env"), **databases},
        )
        try:
            stack.start()
            time.sleep(1.0)
            if "hop" in chosen:
                results += scenarios.gateway_hop(stack)
            missing = hop.available()
            if "nginx" in chosen and missing is None:
                results += hop.gateway_against_nginx(stack)
            elif "nginx" in chosen:
                print(f"skipped the gateway against nginx: {missing}", file=sys.stderr)
            if "rush" in chosen:
                results.append(rush.slot_rush(stack, "1"))  # 2000 at once, 200 open
                results.append(rush.slot_rush(stack, "2", over_seconds=20.0))
            if "settlements" in chosen:
                results.append(scenarios.insured_registrations(stack))
        finally:
            stack.stop()
    return results


if __name__ == "__main__":
    sys.exit(main())
