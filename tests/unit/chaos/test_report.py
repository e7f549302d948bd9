"""The chaos report follows a violating order through every ledger and masks personal data."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.chaos import report
from tests.chaos.checks import Violation


def _db(path: Path, sql: str) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(sql)


@pytest.fixture()
def var_dir(tmp_path: Path) -> Path:
    """Four ledgers of one stack holding order R1 (and an unrelated R2)."""
    _db(
        tmp_path / "cloud_service.db",
        """
        CREATE TABLE orders (order_no TEXT, trace_id TEXT, out_trade_no TEXT, state TEXT);
        INSERT INTO orders VALUES ('R1', 'tr-1', 'R1', 'CLOSED'), ('R2', 'tr-2', 'R2', 'CLOSED');
        CREATE TABLE outbox (id INTEGER, order_no TEXT, step TEXT);
        INSERT INTO outbox VALUES (1, 'R1', 'payment_deadline');""",
    )
    _db(
        tmp_path / "hospital_gateway.db",
        """
        CREATE TABLE gateway_audit (id INTEGER, trace_id TEXT, trade_code TEXT);
        INSERT INTO gateway_audit VALUES (1, 'tr-1', '2006'), (2, 'tr-2', '2006');""",
    )
    _db(
        tmp_path / "insurance_frontend.db",
        """
        CREATE TABLE insurance_orders (order_no TEXT, setl_id TEXT, psn_name TEXT);
        INSERT INTO insurance_orders VALUES ('R1', 'SETL9', '张伟');""",
    )
    _db(
        tmp_path / "insurance_center.db",
        """
        CREATE TABLE center_docs (kind TEXT, key TEXT, body TEXT);
        INSERT INTO center_docs VALUES ('setl', 'SETL9', '{"certno": "110105198001010016"}');""",
    )
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "cloud_worker.log").write_text("order R1 step x\norder R2 step y\n")
    return tmp_path


def test_a_violation_carries_its_rows_from_every_ledger_and_only_its_own(var_dir: Path) -> None:
    rows = report.ledger_rows(var_dir, {"R1"})
    assert [r["state"] for r in rows["cloud_service"]["orders"]] == ["CLOSED"]
    assert rows["cloud_service"]["outbox"][0]["step"] == "payment_deadline"
    assert [r["id"] for r in rows["hospital_gateway"]["gateway_audit"]] == [1]  # by trace_id
    assert rows["insurance_center"]["center_docs"][0]["key"] == "SETL9"  # by its setl_id


def test_the_written_report_masks_names_and_id_numbers(
    var_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "REPORT_DIR", tmp_path_factory.mktemp("reports"))
    path = report.write(var_dir, 7, {"line": "x"}, [Violation("R1 lost", ("R1",))], [], [])
    text = path.read_text(encoding="utf-8")
    assert "110105198001010016" not in text and "张伟" not in text
    (about,) = json.loads(text)["violations"]
    assert about["logs"] == ["cloud_worker: order R1 step x"]
