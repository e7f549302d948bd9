"""JSON log lines with the trace_id on every line and personal data masked."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar

from envelope import clock
from servicekit.masking import mask_text

_trace_id: ContextVar[str] = ContextVar("trace_id", default="")


def bind_trace_id(trace_id: str) -> None:
    """Attach a trace id to every log line of the current request."""
    _trace_id.set(trace_id)


def current_trace_id() -> str:
    """The trace id of the current request, or an empty string."""
    return _trace_id.get()


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (+08:00), level, service, logger, trace_id, message."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render the record, masking ID numbers and names in the message and traceback."""
        entry = {
            "time": clock.now_iso(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "trace_id": getattr(record, "trace_id", "") or _trace_id.get(),
            "message": mask_text(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_servicekit", False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler._servicekit = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
