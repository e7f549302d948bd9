"""Time in the hospital's zone: every timestamp carries the Asia/Shanghai offset."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time, aware, in Asia/Shanghai."""
    return datetime.now(SHANGHAI)


def today() -> date:
    """Today's date in Asia/Shanghai (the hospital's calendar day)."""
    return now().date()


def iso(moment: datetime) -> str:
    """ISO 8601 with offset, to the second, e.g. 2026-11-26T14:03:00+08:00."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def now_iso() -> str:
    """The current time as ISO 8601 with the +08:00 offset."""
    return iso(now())


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that must carry an offset."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("timestamp has no UTC offset")
    return moment
