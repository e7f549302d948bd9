"""Staff commands: ``python -m insurance_frontend migrate`` and ``... signin``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from insurance_frontend.settings import Settings
from servicekit.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def main(argv: list[str] | None = None) -> int:
    """Run one command."""
    parser = argparse.ArgumentParser(prog="python -m insurance_frontend")
    parser.add_argument("command", choices=("migrate", "signin"))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "migrate":
        migrate(settings.database_url, MIGRATIONS)
        print("insurance_frontend: database at the newest revision")
        return 0
    from insurance_frontend.app import build
    from servicekit.logs import configure

    configure("insurance_frontend")
    sign_no = build(settings).signins.sign_in_now()
    print(f"insurance_frontend: signed in, sign_no {sign_no}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
