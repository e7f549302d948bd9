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


UNREADABLE = "?"  # what a log line shows for a header value that is not a plain token
_CLAIMED = re.compile(r"[0-9A-Za-z_\-]{1,64}")
_DIGIT_RUN = re.compile(r"[0-9]{15}")  # an ID card number (15 or 18 digits) hidden in a token


def plain_token(value: object) -> str:
    """A header value fit for a log line before its message is verified: a short token
    that cannot carry an ID card number or a name, else UNREADABLE."""
    if isinstance(value, str) and _CLAIMED.fullmatch(value) and not _DIGIT_RUN.search(value):
        return value
    return "" if value in (None, "") else UNREADABLE


def bind_claimed_trace_id(value: object) -> None:
    """Bind the trace id of a message not verified yet, if it is a plain token."""
    claimed = plain_token(value)
    _trace_id.set("" if claimed == UNREADABLE else claimed)
