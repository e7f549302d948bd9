"""The trace id of the message being handled, carried into every log line and onward hop."""

from __future__ import annotations

import re
from contextvars import ContextVar

_trace_id: ContextVar[str] = ContextVar("trace_id", default="")


def bind_trace_id(trace_id: str) -> None:
    """Attach a trace id to the current request's context."""
    _trace_id.set(trace_id)


def current_trace_id() -> str:
    """The trace id of the current request, or an empty string."""
    return _trace_id.get()


_CLAIMED = re.compile(r"[0-9A-Za-z_\-]{1,64}")
_DIGIT_RUN = re.compile(r"[0-9]{15}")  # an ID card number (15 or 18 digits) hidden in a token


def bind_claimed_trace_id(value: object) -> None:
    """Bind the trace id of a message not verified yet, if it is a plain token that cannot
    carry an ID card number; anything else is left out of the log lines."""
    plain = isinstance(value, str) and _CLAIMED.fullmatch(value) and not _DIGIT_RUN.search(value)
    _trace_id.set(value if plain and isinstance(value, str) else "")
