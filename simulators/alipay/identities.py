"""The ids Alipay gives a test user: one user_id (2088 and 12 digits) for every app, and an
open_id per (app, user), so an app cannot use an id another app was given.

Both are derived from the names, so they stay the same across restarts and workers."""

from __future__ import annotations

import hashlib


def user_id_of(name: str) -> str:
    """The test user's user_id, e.g. 2088123456789012."""
    digest = hashlib.sha256(f"alipay-sim-user:{name}".encode()).digest()
    return "2088" + f"{int.from_bytes(digest[:8], 'big') % 10**12:012d}"


def open_id_of(app_id: str, user_id: str) -> str:
    """The user's open_id for one app: 47 characters starting with 0, as Alipay's do."""
    return "0" + hashlib.sha256(f"alipay-sim-open:{app_id}:{user_id}".encode()).hexdigest()[:46]
