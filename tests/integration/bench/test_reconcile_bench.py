"""The reconciliation benchmark's ledgers stay writable by the cloud's current schema.

The bench writes the orders table with one Core INSERT compiled from the Order model; a new
column with a default used to break it only when someone ran `make bench`."""

from __future__ import annotations

from bench import reconcile


def test_a_small_day_is_written_read_and_compared_with_the_planted_differences() -> None:
    rows = 2_000
    result = reconcile.reconciliation(rows)
    assert result.failures == 0, result.name
    assert f"{2 * rows // reconcile.EVERY:,} differences" in result.name
