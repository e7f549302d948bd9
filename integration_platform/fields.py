"""Typed values out of a request body the catalogue has already checked for presence."""

from __future__ import annotations

from datetime import date
from typing import Any

from envelope import codes


def text(body: dict[str, Any], name: str) -> str:
    """A required string field, trimmed."""
    return str(body[name]).strip()


def optional_text(body: dict[str, Any], name: str) -> str | None:
    """An optional string field, or None when absent or empty."""
    value = body.get(name)
    if value is None or str(value).strip() == "":
        return None
    return str(value).strip()


def date_field(body: dict[str, Any], name: str) -> date:
    """A yyyy-MM-dd field as a date, or 1009 when it is not a real date."""
    try:
        return date.fromisoformat(str(body[name]))
    except ValueError as exc:
        raise codes.EnvelopeError(codes.BODY_INVALID, f"body field {name} is not a date") from exc


def date_range(body: dict[str, Any]) -> tuple[date, date]:
    """start_date and end_date, refused (1009) when the end comes first."""
    start, end = date_field(body, "start_date"), date_field(body, "end_date")
    if end < start:
        raise codes.EnvelopeError(codes.BODY_INVALID, "end_date is before start_date")
    return start, end
