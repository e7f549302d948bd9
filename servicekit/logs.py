"""JSON log lines with the trace_id on every line and personal data masked."""

from __future__ import annotations

import json
import logging
import sys

from envelope import clock
from envelope.tracing import bind_trace_id, current_trace_id
from servicekit.masking import mask_text

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
            "trace_id": getattr(record, "trace_id", "") or current_trace_id(),
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
