"""``python -m integration_platform migrate | seed | window-pay <bill_no>``."""

from __future__ import annotations

import argparse
import os
import sys

from sqlalchemy.orm import Session, sessionmaker

from envelope.codes import EnvelopeError
from integration_platform import MIGRATIONS
from integration_platform.seed import seed
from integration_platform.settings import DEFAULT_DATABASE_URL
from integration_platform.window import pay_at_window
from servicekit.config import optional
from servicekit.db import make_engine, migrate, session_factory


def main(argv: list[str] | None = None) -> int:
    """Run one command against DATABASE_URL (or --database-url)."""
    parser = argparse.ArgumentParser(prog="python -m integration_platform")
    parser.add_argument("command", choices=("migrate", "seed", "window-pay"))
    parser.add_argument("bill_no", nargs="?", help="window-pay: the bill a patient pays in person")
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
    try:
        if args.command == "window-pay":
            return _window_pay(session_factory(engine), args.bill_no)
        added = seed(session_factory(engine))
        print(f"integration_platform: seed done ({added} new schedules)")
        return 0
    finally:
        engine.dispose()


def _window_pay(sessions: sessionmaker[Session], bill_no: str | None) -> int:
    if not bill_no:
        print("window-pay needs a bill number", file=sys.stderr)
        return 2
    try:
        paid = pay_at_window(sessions, bill_no)
    except EnvelopeError as exc:
        print(f"refused: {exc.result_code} {exc.result_msg}", file=sys.stderr)
        return 1
    print(f"bill {paid['bill_no']} paid at the window: receipt {paid['receipt_no']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
