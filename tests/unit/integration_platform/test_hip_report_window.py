"""How far back a patient may read reports."""

from __future__ import annotations

from datetime import date

from integration_platform.reports import earliest_visible


def test_six_months_back_keeps_the_day_or_the_months_last() -> None:
    assert earliest_visible(date(2026, 11, 26)) == date(2026, 5, 26)
    assert earliest_visible(date(2026, 8, 31)) == date(2026, 2, 28)
    assert earliest_visible(date(2026, 3, 15)) == date(2025, 9, 15)
