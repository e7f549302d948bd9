"""``python -m hospital_gateway migrate | verify-audit``: the audit database's commands."""

from __future__ import annotations

import os
import sys

from hospital_gateway import MIGRATIONS
from hospital_gateway.audit import AuditLog
from hospital_gateway.settings import DEFAULT_DATABASE_URL
from servicekit.config import optional
from servicekit.db import make_engine, migrate

USAGE = "usage: python -m hospital_gateway migrate | verify-audit"


def verify_audit(database_url: str) -> int:
    """Walk the audit chain; print the verdict; 0 when intact, 1 when an entry was tampered."""
    verdict = AuditLog(make_engine(database_url)).verify()
    if verdict.finding is None:
        print(f"audit trail intact: {verdict.entries} entries, head {verdict.head_hash}")
        return 0
    finding = verdict.finding
    print(
        f"audit trail BROKEN at entry {finding.entry_id} ({finding.kind}): {finding.detail}; "
        f"{verdict.entries} entries verified before it",
        file=sys.stderr,
    )
    return 1


def main(argv: list[str]) -> int:
    """Run one command; print usage and fail for anything else."""
    database_url = optional(os.environ, "DATABASE_URL", DEFAULT_DATABASE_URL)
    if argv == ["migrate"]:
        migrate(database_url, MIGRATIONS)
        return 0
    if argv == ["verify-audit"]:
        return verify_audit(database_url)
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
