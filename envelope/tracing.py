"""The trace id of the message being handled, carried into every log line and onward hop."""

from __future__ import annotations

from contextvars import ContextVar

_trace_id: ContextVar[str] = ContextVar("trace_id", default="")


def bind_trace_id(trace_id: str) -> None:
    """Attach a trace id to the current request's context."""
    _trace_id.set(trace_id)


def current_trace_id() -> str:
    """The trace id of the current request, or an empty string."""
    return _trace_id.get()
