"""The reconciliation report as an HTML page for the operations console."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    ".REPAIRED{background:#e6ffe6}.FOR_PERSON{background:#fff3cd}.FAILED{background:#f8d7da}"
)


def _fen(value: Any) -> str:
    return f"{int(value) / 100:.2f}" if isinstance(value, int) else escape(str(value))


def _rows(report: dict[str, Any]) -> str:
    lines = []
    for d in report.get("differences", []):
        amounts = ", ".join(f"{escape(k)} {_fen(v)}" for k, v in (d.get("amounts") or {}).items())
        cells = (d["kind"], d["order_no"], d["detail"], amounts, d["repair"] or "-", d["status"])
        tds = "".join(f"<td>{escape(str(c))}</td>" for c in cells)
        lines.append(f'<tr class="{escape(d["status"])}">{tds}</tr>')
    return "\n".join(lines) or '<tr><td colspan="6">no differences</td></tr>'


def render(report: dict[str, Any]) -> str:
    """The whole page: summary, sources, every difference with its repair and status."""
    summary = report.get("summary", {})
    facts = "".join(
        f"<li>{escape(str(k))}: {escape(str(v))}</li>" for k, v in sorted(summary.items())
    )
    sources = "".join(
        f"<li>{escape(name)}: {escape(str(info))}</li>"
        for name, info in sorted(report.get("sources", {}).items())
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>对账 {escape(report['date'])}</title><style>{STYLE}</style></head><body>"
        f"<h1>Reconciliation {escape(report['date'])}</h1>"
        f"<p>ran at {escape(report.get('ran_at', ''))}; repair "
        f"{'on' if report.get('repair') else 'off'}; orders "
        f"{escape(str(report.get('orders', {}).get('count', 0)))}</p>"
        f"<h2>Summary</h2><ul>{facts}</ul><h2>Sources</h2><ul>{sources}</ul>"
        "<h2>Differences</h2><table><tr><th>class</th><th>order / trade</th><th>detail</th>"
        f"<th>amounts (yuan)</th><th>repair</th><th>status</th></tr>{_rows(report)}</table>"
        "</body></html>"
    )
