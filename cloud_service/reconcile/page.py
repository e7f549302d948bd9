"""The reconciliation report as an HTML page for the operations console."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    ".REPAIRED{background:#e6ffe6}.FOR_PERSON{background:#fff3cd}.FAILED{background:#f8d7da}"
)


def _yuan(value: Any) -> str:
    """Integer fen as yuan with two decimals (integer arithmetic); anything else as it is."""
    if not isinstance(value, int) or isinstance(value, bool):
        return str(value)
    whole, cents = divmod(abs(value), 100)
    return f"{'-' if value < 0 else ''}{whole}.{cents:02d}"


# Autoescape everything: differences carry text from the channels' bills and the HIS.
_ENV = Environment(
    loader=PackageLoader("cloud_service.reconcile"), autoescape=True, undefined=StrictUndefined
)
_ENV.filters["yuan"] = _yuan


def render(report: dict[str, Any]) -> str:
    """The whole page: summary, sources, every difference with its repair and status."""
    return _ENV.get_template("report.html").render(report=report, style=STYLE)
