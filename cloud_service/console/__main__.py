"""``python -m cloud_service.console hash <password>``: a hash for a CONSOLE_USERS entry."""

from __future__ import annotations

import sys

from werkzeug.security import generate_password_hash


def main(argv: list[str]) -> int:
    """Print the password hash to put after ``name:ROLE:`` in CONSOLE_USERS."""
    if len(argv) != 2 or argv[0] != "hash":
        print("usage: python -m cloud_service.console hash <password>", file=sys.stderr)
        return 2
    print(generate_password_hash(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
