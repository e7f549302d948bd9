"""The short chaos run inside `make test`: about 30 orders while processes die and replies
are lost; afterwards every order is final and the ledgers agree (0 violations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.run import chaos_stack, run

ORDERS = 30


@pytest.mark.timeout(600)
def test_short_chaos_run_loses_no_money(tmp_path: Path) -> None:
    with chaos_stack(tmp_path) as stack:
        summary = run(stack, ORDERS, seed=20261126)
    print(summary.line())
    assert summary.orders >= ORDERS * 0.8  # a few are refused while their service is down
    assert summary.faults > 0
    assert summary.violations == [], "\n".join(map(str, summary.violations))
