"""Reading settings from the environment once, at start-up.

Harmless settings have defaults; secrets and peer URLs fail at start-up when missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from envelope.keys import KeyRing


class MissingSetting(RuntimeError):
    """A required setting is absent: the service refuses to start."""


def required(environ: Mapping[str, str], name: str) -> str:
    """The value of a setting that has no safe default."""
    value = environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"setting {name} is required (development values: deploy/dev.env)")
    return value


def optional(environ: Mapping[str, str], name: str, default: str) -> str:
    """The value of a harmless setting."""
    value = environ.get(name, "").strip()
    return value or default


def integer(environ: Mapping[str, str], name: str, default: int) -> int:
    """An integer setting."""
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise MissingSetting(f"setting {name} must be an integer") from exc


def link_ring(environ: Mapping[str, str], link: str) -> KeyRing:
    """The key ring of one envelope link: ENVELOPE_KEY_ID_<LINK>, ENVELOPE_KEY_<LINK> and
    the optional ENVELOPE_PREVIOUS_KEYS_<LINK> (``kid:secret,...``) still accepted."""
    return KeyRing.from_settings(
        link,
        required(environ, f"ENVELOPE_KEY_ID_{link}"),
        required(environ, f"ENVELOPE_KEY_{link}"),
        environ.get(f"ENVELOPE_PREVIOUS_KEYS_{link}", ""),
    )


def seconds(
    environ: Mapping[str, str], name: str, default: float, *, allow_zero: bool = True
) -> float:
    """A duration setting in seconds (``2`` or ``0.5``), never negative. ``allow_zero=False``
    for timeouts, where 0 is no usable value (a Redis lock with timeout 0 never expires)."""
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        parsed = float(value)
    except ValueError as exc:
        raise MissingSetting(f"setting {name} must be a number of seconds") from exc
    if not math.isfinite(parsed):  # "nan" and "inf" parse, but are no duration
        raise MissingSetting(f"setting {name} must be a number of seconds")
    if allow_zero and parsed < 0:
        raise MissingSetting(f"setting {name} must be 0 or more")
    if not allow_zero and parsed <= 0:
        raise MissingSetting(f"setting {name} must be more than 0")
    return parsed


def seconds_list(
    environ: Mapping[str, str], name: str, default: tuple[float, ...]
) -> tuple[float, ...]:
    """A comma list of durations (``0.2,0.2,0.5``), e.g. a compressed retry schedule."""
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        parsed = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise MissingSetting(f"setting {name} must be a comma list of seconds") from exc
    if not parsed or any(part < 0 or not math.isfinite(part) for part in parsed):
        raise MissingSetting(f"setting {name} must list durations of 0 seconds or more")
    return parsed
