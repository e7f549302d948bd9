"""The relay's cached metric children count as metrics.record_envelope does, and an audit
entry's row holds every field of the entry (written out, not by dataclasses.asdict)."""

from __future__ import annotations

from dataclasses import asdict

from hospital_gateway import ResultRecorder
from hospital_gateway.audit import AuditEntry
from servicekit import metrics


def _count(trade_code: str, result_code: str) -> float:
    value = metrics.ENVELOPES.labels("gw_test", trade_code, result_code)._value.get()
    return float(value)


def test_the_recorder_counts_each_answer_under_its_own_labels() -> None:
    record = ResultRecorder("gw_test")
    before = (_count("1003", "0000"), _count("1003", "1008"), _count("invalid", "1006"))
    for _ in range(3):
        record({"trade_code": "1003"}, "0000", 0.01)
    record({"trade_code": "1003"}, "1008", 0.01)
    record({"trade_code": "<script>"}, "1006", 0.01)  # a forged trade code: one label
    after = (_count("1003", "0000"), _count("1003", "1008"), _count("invalid", "1006"))
    assert [b - a for a, b in zip(before, after, strict=True)] == [3, 1, 1]


def test_a_row_holds_every_field_of_its_entry_and_the_time() -> None:
    entry = AuditEntry("IN", "1003", "M1", None, "T1", "CLOUD", "HIP", "0000", 7)
    assert entry.row("2026-01-01T00:00:00.000+08:00") == {
        **asdict(entry),
        "at": "2026-01-01T00:00:00.000+08:00",
    }
