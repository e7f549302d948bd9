"""Reconciliation of 1,000,000 orders against their channel bill rows and the HIS and
insurance statuses, through the comparison core (cloud_service.reconcile.classify), in a
process of its own so its peak memory is the number reported.

Every 100th order carries a difference (amount, missing at the channel or at insurance), so
the expected count is known. Reading the ledgers (database, bill files, 4009) is not in it.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any

from bench.measure import Result

ROWS = 1_000_000
EVERY = 100  # one order in EVERY has a difference


def _ledgers(rows: int) -> tuple[list[Any], list[Any]]:
    from cloud_service.channels.base import BillRow
    from cloud_service.reconcile.classify import RECORDED, OrderFacts

    orders, bill = [], []
    for n in range(rows):
        out_trade_no = f"T{n:010d}"
        broken = n % EVERY == 0
        orders.append(
            OrderFacts(
                order_no=f"R{n:010d}",
                kind="REG",
                state="CONFIRMED",
                pay_mode="INSURANCE",
                channel="WECHAT",
                out_trade_no=out_trade_no,
                cash_fen=1200,
                setl_id=f"S{n:010d}",
                his=RECORDED,
                insurance="NONE" if broken else "SETTLED",
            )
        )
        amount = 1300 if broken else 1200
        bill.append(BillRow("PAYMENT", out_trade_no, f"X{n:010d}", amount, "2026-11-26 10:00:00"))
    return orders, bill


def measure_here(rows: int) -> dict[str, float]:
    """Build the ledgers, compare them; seconds of the comparison, peak RSS, differences."""
    from cloud_service.reconcile.classify import compare_orders

    orders, bill = _ledgers(rows)
    started = time.perf_counter()
    differences = compare_orders(orders, bill, set())
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "differences": len(differences)}


def reconciliation(rows: int = ROWS) -> Result:
    """Run ``measure_here`` in a fresh interpreter and make a table row of it."""
    answer = subprocess.run(
        [sys.executable, "-m", "bench.reconcile", str(rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(answer.stdout.strip().splitlines()[-1])
    expected = 2 * (rows // EVERY)  # an amount mismatch and a missing settlement each
    name = (
        f"reconciliation core, {rows:,} orders + {rows:,} bill rows "
        f"({data['differences']} differences, peak {data['peak_mb']:.0f} MB RSS)"
    )
    wrong = 0 if data["differences"] == expected else 1
    return Result(name, rows, data["seconds"], 0.0, 0.0, wrong)


if __name__ == "__main__":
    print(json.dumps(measure_here(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)))
