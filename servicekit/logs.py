"""JSON log lines with the trace_id on every line and personal data masked."""

from __future__ import annotations

import json
import logging
import sys

from envelope import clock
from envelope.tracing import bind_trace_id, current_trace_id
from servicekit.masking import mask_quoted_values, mask_text, mask_traceback

__all__ = ["JsonFormatter", "bind_trace_id", "configure", "current_trace_id"]


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
            "trace_id": mask_text(getattr(record, "trace_id", "") or current_trace_id()),
            "message": mask_text(mask_quoted_values(record.getMessage())),
        }
        if record.exc_info:
            entry["exc"] = mask_traceback(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = mask_traceback(self.formatStack(record.stack_info))
        line = json.dumps(entry, ensure_ascii=False)
        if line.isascii() or _encodable(line):
            return line
        return json.dumps(entry)  # a lone surrogate in some text: escaped, never a write error


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """stderr, and a failure to log reported without the record's text or arguments
    (logging's own report prints both unmasked)."""

    _servicekit = True

    def handleError(self, record: logging.LogRecord) -> None:
        """Say that a record from ``record.name`` could not be written, and nothing more."""
        if logging.raiseExceptions and sys.stderr:
            exc = sys.exc_info()[1]
            kind = type(exc).__name__ if exc else "error"
            sys.stderr.write(f"logging failed ({kind}) for a record of {record.name}\n")


def configure(service: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_servicekit", False):
            return
    handler = _Handler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(level)
