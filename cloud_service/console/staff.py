"""Staff of the operations console: who may sign in, with which role (CONSOLE_USERS).

CONSOLE_USERS is ``name:ROLE:hash,...`` where hash is a werkzeug password hash
(``python -m cloud_service.console hash <password>`` prints one). Roles rank
VIEWER < OPERATOR < ADMIN; a higher role may do everything a lower one may."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from werkzeug.security import check_password_hash

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


def authenticate(users: Mapping[str, StaffUser], name: str, password: str) -> StaffUser | None:
    """The user when the name is known and the password matches, else None."""
    user = users.get(name)
    if user is None or not password or not check_password_hash(user.password_hash, password):
        return None
    return user
