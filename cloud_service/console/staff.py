"""Staff of the operations console: who may sign in, with which role (CONSOLE_USERS).

CONSOLE_USERS is ``name:ROLE:hash,...`` where hash is a werkzeug password hash
(``python -m cloud_service.console hash <password>`` prints one). Roles rank
VIEWER < OPERATOR < ADMIN; a higher role may do everything a lower one may."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.security import check_password_hash

# werkzeug's default method, for a dummy when no user is configured to copy the cost from
DEFAULT_METHOD = "scrypt:32768:8:1"

ROLES = ("VIEWER", "OPERATOR", "ADMIN")


@dataclass(frozen=True)
class StaffUser:
    """One console user: a name, a role and the hash of the password."""

    name: str
    role: str
    password_hash: str

    def may(self, needed: str) -> bool:
        """True when this user's role is at least the role needed."""
        return ROLES.index(self.role) >= ROLES.index(needed)


def parse_users(value: str) -> dict[str, StaffUser]:
    """The users of a CONSOLE_USERS value; a malformed entry or unknown role is refused."""
    users: dict[str, StaffUser] = {}
    for entry in filter(None, (part.strip() for part in value.split(","))):
        name, _, rest = entry.partition(":")
        role, _, password_hash = rest.partition(":")
        if not name or role not in ROLES or not password_hash:
            raise ValueError(f"CONSOLE_USERS entry for {name or '?'!r} must be name:ROLE:hash")
        users[name] = StaffUser(name, role, password_hash)
    return users


def dummy_hash(users: Mapping[str, StaffUser]) -> str:
    """A hash no password matches, of the method and cost most users' hashes have, so
    checking a password against it takes as long as checking a real user's."""
    methods = Counter(user.password_hash.split("$", 1)[0] for user in users.values())
    if not methods:
        return f"{DEFAULT_METHOD}${secrets.token_hex(8)}${secrets.token_hex(64)}"
    method = methods.most_common(1)[0][0]
    sample = next(u.password_hash for u in users.values() if u.password_hash.startswith(method))
    digest_chars = max(len(sample.rsplit("$", 1)[-1]), 2)
    # a random digest: verifying costs the full hash, and nothing hashes to it
    return f"{method}${secrets.token_hex(8)}${secrets.token_hex(digest_chars // 2)}"


def authenticate(users: Mapping[str, StaffUser], name: str, password: str) -> StaffUser | None:
    """The user when the name is known and the password matches, else None.

    Exactly one password hash is checked whatever the name, against a dummy of the same
    cost for a name nobody has, so the answer's time does not tell which names exist."""
    user = users.get(name)
    stored = user.password_hash if user is not None else dummy_hash(users)
    try:
        matches = check_password_hash(stored, password)
    except ValueError:  # a hash of a method werkzeug does not know matches nothing
        matches = False
    if user is None or not password or not matches:
        return None
    return user
