"""A pytest plugin for `make test`: one tier's counts, skip reasons and exit status as JSON.

Loaded with ``-p tests.results --tier-results=PATH`` (the Makefile does); without the option
it does nothing. tests.summary reads the files and prints the table of every tier."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

# what pytest's own summary line counts; setup and teardown passes are filed under ""
CATEGORIES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
_STARTED = pytest.StashKey[float]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The --tier-results option."""
    parser.addoption(
        "--tier-results",
        default=None,
        metavar="PATH",
        help="write this run's counts, skip reasons and exit status as JSON to PATH",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note when the tier began."""
    session.stash[_STARTED] = time.monotonic()


def skip_reason(report: Any) -> str:
    """The reason a skipped report gives, without pytest's "Skipped: " prefix."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return str(reason).removeprefix("Skipped: ")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the tier's result where --tier-results says, if it says."""
    path = session.config.getoption("tier_results")
    if not path:
        return
    # the terminal reporter's stats are the numbers pytest prints on its last line
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats: dict[str, list[Any]] = getattr(reporter, "stats", {})
    result = {
        "exitstatus": int(exitstatus),
        "seconds": round(time.monotonic() - session.stash.get(_STARTED, time.monotonic()), 1),
        "counts": {name: len(stats.get(name, [])) for name in CATEGORIES},
        "skips": [
            {"test": report.nodeid, "reason": skip_reason(report)}
            for report in stats.get("skipped", [])
        ],
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
