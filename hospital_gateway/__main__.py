"""``python -m hospital_gateway migrate``: bring the audit database to the newest revision."""

from __future__ import annotations

import os
import sys

from hospital_gateway import MIGRATIONS
from hospital_gateway.settings import DEFAULT_DATABASE_URL
from servicekit.config import optional
from servicekit.db import migrate


def main(argv: list[str]) -> int:
    """Run one command; print usage and fail for anything else."""
    if argv == ["migrate"]:
        migrate(optional(os.environ, "DATABASE_URL", DEFAULT_DATABASE_URL), MIGRATIONS)
        return 0
    print("usage: python -m hospital_gateway migrate", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
