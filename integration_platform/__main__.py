"""``python -m integration_platform migrate`` and ``python -m integration_platform seed``."""

from __future__ import annotations

import argparse
import os
import sys

from integration_platform import MIGRATIONS
from integration_platform.seed import seed
from integration_platform.settings import DEFAULT_DATABASE_URL
from servicekit.config import optional
from servicekit.db import make_engine, migrate, session_factory


def main(argv: list[str] | None = None) -> int:
    """Run one command against DATABASE_URL (or --database-url)."""
    parser = argparse.ArgumentParser(prog="python -m integration_platform")
    parser.add_argument("command", choices=("migrate", "seed"))
    parser.add_argument(
        "--database-url",
        default=None,
        help="defaults to DATABASE_URL, else " + DEFAULT_DATABASE_URL,
    )
    args = parser.parse_args(argv)
    url = args.database_url or optional(os.environ, "DATABASE_URL", DEFAULT_DATABASE_URL)
    if args.command == "migrate":
        migrate(url, MIGRATIONS)
        print("integration_platform: database at head")
        return 0
    engine = make_engine(url)
    added = seed(session_factory(engine))
    engine.dispose()
    print(f"integration_platform: seed done ({added} new schedules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
