"""The chaos run's whole report, written under var/chaos/: the summary, the fault log, every
plan's outcome, and for each violation its orders' rows in every ledger of the stack (cloud
orders, events and outbox; HIS registrations and charges; insurance ledger and orders; the
center's documents; channel trades, refunds and notifications; the gateway audit by
trace_id) with the log lines that name them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from devstack.stack import ROOT
from envelope import clock
from servicekit.masking import mask_text
from tests.chaos.checks import Violation

REPORT_DIR = ROOT / "var" / "chaos"
# Columns whose values lead from an order to its rows in the next ledger (its channel trade,
# its insurance visit and settlement, its messages at the center, its gateway trail).
LINK_COLUMNS = (
    "order_no",
    "out_trade_no",
    "out_refund_no",
    "trace_id",
    "lock_id",
    "setl_id",
    "mdtrt_id",
    "chrg_bchno",
    "msgid",
    "transaction_id",
    "trade_no",
)
ROWS_PER_TABLE = 300
LOG_LINES = 300


def _tables(db: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [(n, [c[1] for c in db.execute(f'PRAGMA table_info("{n}")')]) for n in names]


def _matching(db: sqlite3.Connection, table: str, columns: list[str], keys: set[str]) -> list[Any]:
    """Rows of ``table`` where any text column equals one of ``keys`` (keys are a few)."""
    marks = ", ".join("?" * len(keys))
    where = " OR ".join(f'CAST("{c}" AS TEXT) IN ({marks})' for c in columns)
    sql = f'SELECT * FROM "{table}" WHERE {where} LIMIT {ROWS_PER_TABLE}'
    db.row_factory = sqlite3.Row
    return [dict(row) for row in db.execute(sql, [*keys] * len(columns))]


def ledger_rows(var_dir: Path, keys: set[str]) -> dict[str, dict[str, list[Any]]]:
    """database -> table -> the rows naming any key; keys found in those rows' link columns
    are followed once more (an order's setl_id leads to the center's documents)."""
    found: dict[str, dict[str, list[Any]]] = {}
    keys = {k for k in keys if k}
    for _ in range(2):
        found = {}
        for path in sorted(var_dir.glob("*.db")):
            with sqlite3.connect(path) as db:
                tables = {
                    t: rows for t, cols in _tables(db) if (rows := _matching(db, t, cols, keys))
                }
            if tables:
                found[path.stem] = tables
        keys |= {
            str(row[c])
            for tables in found.values()
            for rows in tables.values()
            for row in rows
            for c in LINK_COLUMNS
            if row.get(c)
        }
    return found


def log_lines(var_dir: Path, keys: Iterable[str]) -> list[str]:
    """The processes' log lines naming any key (the last LOG_LINES of them)."""
    wanted = [k for k in keys if k]
    out: list[str] = []
    for log in sorted((var_dir / "logs").glob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if any(k in line for k in wanted):
                out.append(f"{log.stem}: {line}")
    return out[-LOG_LINES:]


def _about(var_dir: Path, violation: Violation) -> dict[str, Any]:
    rows = ledger_rows(var_dir, set(violation.order_nos))
    cloud = rows.get("cloud_service", {}).get("orders", [])
    keys = {str(o.get(k) or "") for o in cloud for k in ("order_no", "trace_id", "out_trade_no")}
    return {
        "violation": violation.text,
        "orders": list(violation.order_nos),
        "ledgers": rows,
        "logs": log_lines(var_dir, keys | set(violation.order_nos)),
    }


def write(
    var_dir: Path,
    seed: int,
    summary: dict[str, Any],
    violations: Sequence[Violation],
    faults: list[str],
    plans: list[dict[str, Any]],
) -> Path:
    """Write the report (personal data masked) and return its path."""
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORT_DIR / f"report-{seed}-{clock.now():%Y%m%dT%H%M%S}.json"
    report = {
        "seed": seed,
        "summary": summary,
        "violations": [_about(var_dir, v) for v in violations],
        "faults": faults,
        "plans": plans,
    }
    text = json.dumps(report, ensure_ascii=False, indent=1, default=str)
    path.write_text(mask_text(text), encoding="utf-8")
    return path
