"""Staff commands: ``python -m insurance_frontend migrate | signin | signout [sign_no] |
scheduler``. Sign-in (4001) and sign-out (4002) are served here and by the scheduler only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from envelope.codes import EnvelopeError
from insurance_frontend.settings import Settings
from servicekit.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def main(argv: list[str] | None = None) -> int:
    """Run one command."""
    parser = argparse.ArgumentParser(prog="python -m insurance_frontend")
    parser.add_argument("command", choices=("migrate", "signin", "signout", "scheduler"))
    parser.add_argument("sign_no", nargs="?", default="", help="signout: the serial to close")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "migrate":
        migrate(settings.database_url, MIGRATIONS)
        print("insurance_frontend: database at the newest revision")
        return 0
    from insurance_frontend.deps import build_deps
    from servicekit.logs import configure

    configure("insurance_frontend")
    signins = build_deps(settings).signins
    try:
        if args.command == "signin":
            print(f"insurance_frontend: signed in, sign_no {signins.sign_in_now()}")
        elif args.command == "signout":
            print(f"insurance_frontend: signed out {signins.sign_out_now(args.sign_no)}")
        else:
            from insurance_frontend.scheduler import run

            run(signins, settings.signin_at, settings.signin_retries, settings.signin_backoff)
    except EnvelopeError as exc:
        print(f"insurance_frontend: {args.command} failed: {exc.result_msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
