"""Typed values out of a request the endpoint has already validated as its trade's model."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from envelope import codes
from envelope.messages import Request
from envelope.server import Incoming

R = TypeVar("R", bound=Request)


def typed(incoming: Incoming, model: type[R]) -> R:
    """The request as its trade's model (the endpoint built it), or 1009."""
    request = incoming.request
    if not isinstance(request, model):
        raise codes.EnvelopeError(codes.BODY_INVALID, f"the body is not a {model.__name__}")
    return request


def optional(value: str | None) -> str | None:
    """An optional string field trimmed, or None when absent or blank."""
    if value is None or value.strip() == "":
        return None
    return value.strip()


def day(value: str, name: str) -> date:
    """A yyyy-MM-dd field as a date, or 1009 when it is not a real date."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise codes.EnvelopeError(codes.BODY_INVALID, f"body field {name} is not a date") from exc


def date_range(start_date: str, end_date: str) -> tuple[date, date]:
    """start_date and end_date, refused (1009) when the end comes first."""
    start, end = day(start_date, "start_date"), day(end_date, "end_date")
    if end < start:
        raise codes.EnvelopeError(codes.BODY_INVALID, "end_date is before start_date")
    return start, end
