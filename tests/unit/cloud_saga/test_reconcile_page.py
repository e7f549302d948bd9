"""The reconciliation page: one Jinja template, every value escaped once, amounts in yuan."""

from __future__ import annotations

from typing import Any

from cloud_service.reconcile import render

HOSTILE = "<script>alert(1)</script>"


def _report(**difference: Any) -> dict[str, Any]:
    base = {
        "kind": "AMOUNT_MISMATCH",
        "order_no": "R20261204000001",
        "detail": "金额不符",
        "amounts": {"ours": 12345, "channel": -150},
        "repair": None,
        "status": "FOR_PERSON",
    }
    return {
        "date": "2026-12-04",
        "ran_at": "2026-12-04T02:00:00+08:00",
        "repair": False,
        "orders": {"count": 1},
        "summary": {"FOR_PERSON": 1},
        "sources": {"WECHAT": "bill 2026-12-04"},
        "differences": [{**base, **difference}],
    }


def test_a_hostile_memo_in_a_difference_is_escaped_exactly_once() -> None:
    page = render(_report(amounts={"memo": HOSTILE, HOSTILE: 100}))
    assert "<script>" not in page
    assert "memo &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 1.00" in page
    assert "&amp;lt;" not in page  # not escaped twice into visible entity text


def test_hostile_text_in_every_other_field_is_escaped() -> None:
    report = _report(
        order_no=HOSTILE, detail=HOSTILE, repair=HOSTILE, status='x" onmouseover="alert(1)'
    )
    report["summary"] = {HOSTILE: HOSTILE}
    report["sources"] = {HOSTILE: {"note": HOSTILE}}
    report["ran_at"] = HOSTILE
    page = render(report)
    assert "<script>" not in page
    assert 'onmouseover="alert(1)"' not in page
    assert 'class="x&#34; onmouseover=&#34;alert(1)"' in page


def test_amounts_are_integer_fen_shown_as_yuan_and_the_page_keeps_its_content() -> None:
    page = render(_report())
    assert "ours 123.45, channel -1.50" in page
    assert "<title>对账 2026-12-04</title>" in page
    assert "orders 1" in page and "repair off" in page
    assert '<tr class="FOR_PERSON">' in page and "<td>-</td>" in page


def test_a_day_without_differences_says_so() -> None:
    page = render({"date": "2026-12-04", "differences": []})
    assert '<td colspan="6">no differences</td>' in page
