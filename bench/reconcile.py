"""Reconciliation of 1,000,000 orders across three ledgers read from storage: the cloud's
orders in a SQLite file (the real ``orders`` table), a WeChat Pay trade bill file in the real
layout (parsed by cloud_service.channels.bills) and an insurance status listing
(``order_no,status`` lines in order_no order, standing for the center's day listing).

Setup writes the three (not timed). A fresh interpreter then reads and compares them: orders
streamed from the database page by page (cloud_service.reconcile.ledgers.order_tuples) and
merged with the listing, the bill streamed from its file, the comparison core
(cloud_service.reconcile.classify.compare_orders). Its seconds and its peak RSS (the whole
process, interpreter and imports included) are the numbers reported.

Every 100th order carries two differences (the bill's amount differs, and insurance answers
NONE for a confirmed settlement), so the expected count is known. The HIS is not read: the
engine asks it per order by envelope (2010/3005), which no file can stand for.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

from bench.measure import Result

ROWS = 1_000_000
EVERY = 100  # one order in EVERY has a difference
DAY = date(2026, 11, 26)
CHUNK = 20_000  # rows per executemany in the setup
PAGE = 5_000  # orders per database read in the measured run
ROOT = Path(__file__).resolve().parents[1]
DATABASE, BILL, LISTING = "cloud.db", "wechat-trade-bill.csv", "insurance-status.csv"
AMOUNT, WRONG_AMOUNT = 1200, 1300  # fen
# On Linux a process's ru_maxrss starts at its parent's RSS (kept across fork and exec), so the
# measured interpreter is started by a small one, not by the one that wrote the ledgers.
LAUNCH = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
PAID_AFTER = timedelta(minutes=2)


def _day(rows: int) -> Iterator[tuple[int, str, datetime]]:
    """(n, order_no, created_at) of each order: creation spread over the day, order numbers
    in the cloud's layout (R + yyyyMMddHHmmss + 8 digits), so in creation order."""
    from envelope.clock import SHANGHAI

    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=SHANGHAI)
    second, at, prefix = -1, start, ""
    for n in range(rows):
        if n * 86_400 // rows != second:
            second = n * 86_400 // rows
            at = start + timedelta(seconds=second)
            prefix = f"R{at:%Y%m%d%H%M%S}"
        yield n, f"{prefix}{n:08d}", at


def _order(n: int, order_no: str, at: datetime) -> dict[str, Any]:
    return {
        "order_no": order_no,
        "user_id": "U1",
        "mrn": f"M{n % 50_000:07d}",
        "kind": "REG",
        "state": "CONFIRMED",
        "pay_mode": "INSURANCE",
        "channel": "WECHAT",
        "entry": "APP",
        "schedule_id": f"SCH{n % 400:04d}",
        "lock_id": f"L{n:010d}",
        "visit_date": DAY.isoformat(),
        "total_fen": 2500,
        "cash_fen": AMOUNT,
        "refunded_fen": 0,
        "setl_id": f"S{n:010d}",
        "out_trade_no": order_no,
        "trace_id": f"{n:032x}",
        "created_at": at,
        "updated_at": at + PAID_AFTER,
    }


def _write_orders(path: Path, rows: int) -> None:
    """The orders table as the cloud's migrations make it, filled in chunks by executemany of
    the Core insert of Order. Rows go in as plain tuples, the timestamps converted by the
    column type's own bind processor once per second of the day: SQLAlchemy's per-row
    parameter processing would otherwise be most of the setup's time."""
    from sqlalchemy import create_engine, insert

    from cloud_service.models import AppUser, Order
    from servicekit.db import migrate

    url = f"sqlite:///{path}"
    migrate(url, ROOT / "cloud_service" / "migrations")
    engine = create_engine(url)
    first = _order(*next(_day(1)))
    names = list(first)
    statement = str(insert(Order).compile(dialect=engine.dialect, column_keys=names))
    values_of = itemgetter(*names)
    stamp = Order.created_at.type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
    assert stamp is not None
    stamps: dict[datetime, Any] = {}
    with engine.connect() as conn:  # a bulk load: no journal, a large page cache
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144"):
            conn.exec_driver_sql(f"PRAGMA {pragma}")
        user = {"user_id": "U1", "phone": "13900000001", "created_at": first["created_at"]}
        conn.execute(insert(AppUser), [user])
        days = _day(rows)
        while chunk := list(itertools.islice(days, CHUNK)):
            batch = []
            for order in chunk:
                values = _order(*order)
                for key in ("created_at", "updated_at"):
                    at = values[key]
                    values[key] = stamps.get(at) or stamps.setdefault(at, stamp(at))
                batch.append(values_of(values))
            conn.exec_driver_sql(statement, batch)
        conn.commit()
    engine.dispose()


def _write_bill(path: Path, rows: int) -> None:
    """The day's trade bill as WeChat Pay writes it: a payment row per order, the summary."""
    from decimal import Decimal

    from simulators.wechatpay.bills import COLUMNS, FEE_RATE, SUMMARY, yuan

    def line(fields: Iterable[str]) -> str:
        return ",".join("`" + field for field in fields) + "\r\n"

    fees = {fen: Decimal(fen) / 100 * FEE_RATE for fen in (AMOUNT, WRONG_AMOUNT)}
    # What follows the payer's openid in a row, for each amount.
    rest = {
        fen: line(["MWEB", "SUCCESS", "OTHERS", "CNY", yuan(fen), "0.00", "0", "0", "0.00",
                   "0.00", "", "", "挂号费", "", f"{fees[fen]:.5f}", "0.60%", yuan(fen),
                   "0.00", ""])
        for fen in fees
    }  # fmt: skip
    paid_fen, fee_total, second, paid_at = 0, Decimal(0), None, ""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(COLUMNS + "\r\n")
        for n, order_no, at in _day(rows):
            fen = WRONG_AMOUNT if n % EVERY == 0 else AMOUNT
            paid_fen, fee_total = paid_fen + fen, fee_total + fees[fen]
            if at != second:
                second, paid_at = at, f"{at + PAID_AFTER:%Y-%m-%d %H:%M:%S}"
            out.write(
                f"`{paid_at},`wx2421b1c4370ec43b,`1900000109,`0,`,`4200{n:024d},`{order_no},"
                f"`oUpF8uMuAJO_M2pxb1Q9zN{n:06d},{rest[fen]}"
            )
        out.write(SUMMARY + "\r\n")
        total = yuan(paid_fen)
        out.write(line([str(rows), total, "0.00", "0.00", f"{fee_total:.5f}", total, "0.00"]))


def _write_listing(path: Path, rows: int) -> None:
    """What the insurance center says of each order, in order_no order."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("order_no,status\n")
        for n, order_no, _ in _day(rows):
            out.write(f"{order_no},{'NONE' if n % EVERY == 0 else 'SETTLED'}\n")


def setup(folder: Path, rows: int) -> float:
    """Write the three ledgers into ``folder``; the seconds it took."""
    started = time.perf_counter()
    gc.disable()  # a million short-lived dicts would set off a full collection again and again
    try:
        _write_orders(folder / DATABASE, rows)
        _write_bill(folder / BILL, rows)
        _write_listing(folder / LISTING, rows)
    finally:
        gc.enable()
    return time.perf_counter() - started


@dataclass(frozen=True)
class BillFile:
    """A trade bill file, parsed afresh on every iteration: the comparison reads it a second
    time when some payment has no order of the day."""

    path: Path

    def __iter__(self) -> Iterator[Any]:
        from cloud_service.channels.bills import WECHAT, iter_rows

        with self.path.open("rb") as lines:
            yield from iter_rows(WECHAT, lines)


def _listing(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as lines:
        next(lines)
        for line in lines:
            order_no, _, status = line.partition(",")
            yield order_no, status.rstrip("\r\n")


def with_insurance(rows: Iterable[Any], listing: Iterable[tuple[str, str]]) -> Iterator[Any]:
    """Order rows (FACT_COLUMNS) merged with the insurance listing, both in order_no order,
    into OrderFacts; an insured order the listing lacks is NONE there (as 4007 answers). The
    HIS is taken to have recorded every order."""
    from cloud_service.reconcile.classify import RECORDED, OrderFacts

    statuses = iter(listing)
    listed, status = next(statuses, ("", ""))
    make = tuple.__new__  # half the cost of OrderFacts' own __new__
    for row in rows:
        order_no = row[0]
        while listed and listed < order_no:
            listed, status = next(statuses, ("", ""))
        if row[3] != "INSURANCE":
            yield make(OrderFacts, (*row, RECORDED, "", False, False))
        elif listed == order_no:
            yield make(OrderFacts, (*row, RECORDED, status, False, False))
            listed, status = next(statuses, ("", ""))  # the listing names an order once
        else:
            yield make(OrderFacts, (*row, RECORDED, "NONE", False, False))


def _vm_hwm_mb() -> float:
    """The peak RSS of this process image as Linux counts it (a cross-check), else 0."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    return next(
        (int(ln.split()[1]) / 1024 for ln in status.splitlines() if ln.startswith("VmHWM")), 0.0
    )


def measure_here(folder: Path) -> dict[str, float]:
    """Read the three ledgers in ``folder`` and compare them: seconds, peak RSS, differences."""
    started = time.perf_counter()
    from cloud_service.reconcile.classify import compare_orders
    from cloud_service.reconcile.ledgers import FACT_COLUMNS, order_tuples
    from servicekit.db import make_engine, session_factory

    imported, cpu = time.perf_counter(), time.process_time()
    imports_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sessions = session_factory(make_engine(f"sqlite:///{folder / DATABASE}"))
    orders = with_insurance(
        order_tuples(sessions, DAY, FACT_COLUMNS, PAGE), _listing(folder / LISTING)
    )
    differences = compare_orders(orders, BillFile(folder / BILL), set())
    seconds = time.perf_counter() - imported
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "vm_hwm_mb": _vm_hwm_mb(),
        "differences": len(differences),
        "import_seconds": imported - started,
        "import_mb": imports_mb,
    }


def measured(rows: int) -> dict[str, float]:
    """Write the ledgers, run ``measure_here`` in a fresh interpreter; its numbers and the
    setup's seconds."""
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as tmp:
        setup_seconds = setup(Path(tmp), rows)
        answer = subprocess.run(
            [
                sys.executable,
                "-c",
                LAUNCH,
                sys.executable,
                "-m",
                "bench.reconcile",
                "--measure",
                tmp,
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    data: dict[str, float] = json.loads(answer.stdout.strip().splitlines()[-1])
    return {**data, "setup_seconds": setup_seconds}


def _result(rows: int, data: dict[str, float]) -> Result:
    expected = 2 * len(range(0, rows, EVERY))  # an amount mismatch and a missing settlement
    name = (
        f"reconciliation, {rows:,} orders (SQLite) + {rows:,} WeChat bill rows + {rows:,} "
        f"insurance rows, read and compared ({data['differences']:,.0f} differences, "
        f"peak {data['peak_mb']:.0f} MB RSS)"
    )
    wrong = 0 if data["differences"] == expected else 1
    return Result(name, rows, data["seconds"], 0.0, 0.0, wrong)


def reconciliation(rows: int = ROWS) -> Result:
    """The table row of ``measured``; a wrong count of differences is a failure."""
    return _result(rows, measured(rows))


def main() -> int:
    """`python -m bench.reconcile [rows]`: the measured numbers as JSON, then the table row."""
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile", description=__doc__)
    parser.add_argument("rows", nargs="?", type=int, default=ROWS)
    parser.add_argument("--measure", metavar="DIR", help="(internal) measure the ledgers in DIR")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_here(Path(args.measure))))
        return 0
    data = measured(args.rows)
    result = _result(args.rows, data)
    print(json.dumps(data))
    print(result.row())
    return result.failures


if __name__ == "__main__":
    sys.exit(main())
