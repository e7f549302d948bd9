"""Fault injection requests, as both payment simulators take them at POST /sim/faults."""

from __future__ import annotations

from typing import Any

from flask import abort

FAULT_MODES = ("delay", "error", "drop")
MAX_DELAY_SECONDS = 120.0


def fault_fields(body: Any) -> dict[str, Any]:
    """``{"mode": delay|error|drop, "seconds", "count"}`` checked; a bad one is a 400."""
    if not isinstance(body, dict) or body.get("mode") not in FAULT_MODES:
        abort(400, f"mode must be one of {FAULT_MODES}")
    try:
        delay = float(body.get("seconds") or 0)
        count = int(body.get("count", 1))
    except (TypeError, ValueError):
        abort(400, "seconds must be a number and count a whole number")
    if not 0 <= delay <= MAX_DELAY_SECONDS or count < 1:
        abort(400, f"seconds must be 0 to {MAX_DELAY_SECONDS:.0f} and count at least 1")
    return {"mode": body["mode"], "seconds": delay, "remaining": count}
