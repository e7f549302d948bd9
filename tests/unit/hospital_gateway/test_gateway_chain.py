"""The audit hash chain: an intact chain verifies; an edit, an insertion, a deletion is named."""

from __future__ import annotations

from typing import Any

from hospital_gateway.chain import (
    DELETED,
    EDITED,
    GENESIS,
    INSERTED,
    entry_hash,
    verify_chain,
)


def _entry(n: int, prev_hash: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": n,
        "at": f"2026-11-27T10:00:{n:02d}.000+08:00",
        "direction": "IN" if n % 2 else "OUT",
        "trade_code": "1001",
        "msg_id": f"CLOUD20261127100000{n:08d}",
        "reply_msg_id": None,
        "trace_id": f"trace{n}",
        "sender": "CLOUD",
        "receiver": "HIP",
        "result_code": "0000",
        "latency_ms": n,
        "prev_hash": prev_hash,
    }
    row["row_hash"] = entry_hash(row)
    return row


def chain(length: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A well-formed chain of ``length`` entries and its head."""
    rows: list[dict[str, Any]] = []
    prev = GENESIS
    for n in range(1, length + 1):
        rows.append(_entry(n, prev))
        prev = rows[-1]["row_hash"]
    return rows, {"last_id": length, "last_hash": prev}


def test_intact_chain_verifies_and_reports_its_head() -> None:
    rows, head = chain(10)
    verdict = verify_chain(rows, head)
    assert verdict.intact and verdict.entries == 10 and verdict.head_hash == head["last_hash"]


def test_empty_trail_is_intact() -> None:
    assert verify_chain([], None).intact
    assert verify_chain([], {"last_id": 0, "last_hash": GENESIS}).intact


def test_hash_covers_the_previous_hash() -> None:
    rows, _ = chain(2)
    assert entry_hash({**rows[1], "prev_hash": GENESIS}) != rows[1]["row_hash"]


def test_edited_entry_is_named() -> None:
    rows, head = chain(10)
    rows[4]["result_code"] = "2001"
    finding = verify_chain(rows, head).finding
    assert finding is not None and (finding.kind, finding.entry_id) == (EDITED, 5)


def test_edited_entry_with_its_hash_recomputed_is_still_named() -> None:
    rows, head = chain(10)
    rows[4]["sender"] = "HIP"
    rows[4]["row_hash"] = entry_hash(rows[4])
    finding = verify_chain(rows, head).finding
    assert finding is not None and (finding.kind, finding.entry_id) == (EDITED, 5)


def test_deleted_entry_is_named() -> None:
    rows, head = chain(10)
    del rows[6]
    finding = verify_chain(rows, head).finding
    assert finding is not None and (finding.kind, finding.entry_id) == (DELETED, 7)


def test_deleted_first_entry_is_named() -> None:
    rows, head = chain(5)
    finding = verify_chain(rows[1:], head).finding
    assert finding is not None and (finding.kind, finding.entry_id) == (DELETED, 1)


def test_deleted_last_entries_are_found_through_the_head() -> None:
    rows, head = chain(10)
    finding = verify_chain(rows[:8], head).finding
    assert finding is not None and (finding.kind, finding.entry_id) == (DELETED, 9)


def test_inserted_entry_is_named_even_with_a_correct_hash() -> None:
    rows, head = chain(10)
    forged = _entry(6, rows[4]["row_hash"])
    forged["trade_code"] = "3003"
    forged["row_hash"] = entry_hash(forged)
    for row in rows[5:]:
        row["id"] += 1  # ids moved up to make room; the hashes do not cover ids
    rows.insert(5, forged)
    head = {**head, "last_id": 11}
    finding = verify_chain(rows, head).finding
    assert finding is not None and (finding.kind, finding.entry_id) == (INSERTED, 6)


def test_entry_appended_after_the_head_is_named() -> None:
    rows, head = chain(5)
    rows.append(_entry(6, rows[-1]["row_hash"]))
    finding = verify_chain(rows, head).finding
    assert finding is not None and (finding.kind, finding.entry_id) == (INSERTED, 6)
