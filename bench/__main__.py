"""`python -m bench`: start the whole system on free ports and measure it.

Prints a Markdown table for the README. Load goes only to 127.0.0.1, bounded in count.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench import scenarios
from devstack.ports import free_port
from devstack.stack import DEV_PORTS, ROOT, Stack, read_env_file


def main() -> int:
    """Run every benchmark and print the table."""
    results = [scenarios.envelope_sign_verify()]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        stack = Stack(
            ports={name: free_port() for name in DEV_PORTS},
            var_dir=Path(tmp),
            base_env=read_env_file(ROOT / "deploy" / "dev.env"),
        )
        try:
            stack.start()
            time.sleep(1.0)
            results += scenarios.gateway_hop(stack)
            results.append(scenarios.insured_registrations(stack))
        finally:
            stack.stop()
    print(
        f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    print("| benchmark | throughput | p50 | p99 | count | failures |")
    print("|---|---|---|---|---|---|")
    for result in results:
        print(result.row())
    return 0 if all(r.failures == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
