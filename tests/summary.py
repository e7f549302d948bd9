"""The last words of `make test`: one table of every tier, then what was skipped and why.

    python -m tests.summary [--results var/test-results] [--check lint] TIER...

Each tier's pytest wrote TIER.json (tests.results); the Makefile wrote STEP.status, the exit
status of `make STEP`. Exits 1 when a step failed, errored, collected no tests or left no
result, and, when CI=true, when any test was skipped: a CI run is green only if everything ran.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

NO_TESTS_COLLECTED = 5  # pytest.ExitCode.NO_TESTS_COLLECTED
COLUMNS = ("passed", "failed", "error", "skipped", "xfailed")
HEADINGS = ("passed", "failed", "errors", "skipped", "xfailed")


@dataclass
class Step:
    """One step of `make test` as its result files tell it."""

    name: str
    tier: bool  # a pytest tier (counts) rather than a check such as lint (exit status only)
    status: int | None = None  # `make STEP`'s exit status, None when it left none
    exitstatus: int | None = None  # pytest's, None when it left no result file
    seconds: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    skips: list[tuple[str, str]] = field(default_factory=list)  # (test, reason)
    unreadable: str = ""

    @property
    def ran(self) -> int:
        """Tests that pytest reported on, whatever their outcome."""
        return sum(self.counts.get(name, 0) for name in (*COLUMNS, "xpassed"))


def ci_mode(environ: Mapping[str, str]) -> bool:
    """Whether CI is set, as CI services set it (CI=true); CI=false or 0 leaves it off."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _read_status(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def load(results: Path, name: str, tier: bool) -> Step:
    """The step's result files, read; a missing or unreadable file is noted, not raised."""
    step = Step(name, tier, status=_read_status(results / f"{name}.status"))
    if not tier:
        return step
    try:
        data = json.loads((results / f"{name}.json").read_text(encoding="utf-8"))
        step.exitstatus = int(data["exitstatus"])
        step.seconds = float(data.get("seconds", 0.0))
        step.counts = {key: int(value) for key, value in data["counts"].items()}
        step.skips = [(str(s["test"]), str(s["reason"])) for s in data.get("skips", [])]
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        step.exitstatus, step.unreadable = None, f"{type(exc).__name__}: {exc}"
    return step


def problem(step: Step) -> str:
    """Why the step fails the run (skips aside), or "" when it does not."""
    if not step.tier:
        if step.status is None:
            return "did not run"
        return f"exit {step.status}" if step.status else ""
    if step.unreadable:
        return f"unreadable result file ({step.unreadable})"
    if step.exitstatus is None:
        return "no result file: pytest did not finish" + (
            f" (make exit {step.status})" if step.status else ""
        )
    if step.exitstatus == NO_TESTS_COLLECTED or step.ran == 0:
        return f"no tests collected (pytest exit {step.exitstatus})"
    bad = [f"{step.counts.get(k, 0)} {k}" for k in ("failed", "error") if step.counts.get(k)]
    if not bad and (step.exitstatus or step.status):
        bad.append(f"pytest exit {step.exitstatus}, make exit {step.status}")
    return ", ".join(bad)


def verdict(step: Step) -> str:
    """The step's word in the table."""
    if problem(step):
        return "NO TESTS" if "no tests" in problem(step) else "FAILED"
    skipped = step.counts.get("skipped", 0)
    if skipped and skipped == step.ran:
        return "SKIPPED"
    return "partly skipped" if skipped else "passed"


def table(steps: Sequence[Step]) -> list[str]:
    """One line a step: its verdict, counts and time."""
    lines = [f"{'step':<14}{'result':<16}" + "".join(f"{h:>9}" for h in HEADINGS) + "  seconds"]
    for step in steps:
        known = step.tier and step.exitstatus is not None
        cells = [str(step.counts.get(c, 0)) if known else "-" for c in COLUMNS]
        seconds = f"{step.seconds:.1f}" if known and step.seconds is not None else "-"
        lines.append(
            f"{step.name:<14}{verdict(step):<16}"
            + "".join(f"{c:>9}" for c in cells)
            + f"{seconds:>9}"
        )
    return lines


def skipped_lines(steps: Sequence[Step]) -> list[str]:
    """Each distinct skip reason of each tier, once, with how many tests gave it."""
    lines: list[str] = []
    for step in steps:
        for reason, count in Counter(reason for _, reason in step.skips).items():
            lines.append(f"  {step.name} ({count} skipped): {reason}")
    return lines


def render(steps: Sequence[Step], ci: bool) -> tuple[str, int]:
    """The printed summary and the exit status it calls for."""
    failures = [f"  {step.name}: {problem(step)}" for step in steps if problem(step)]
    skips = skipped_lines(steps)
    out = ["", "== make test: summary " + "=" * 58, *table(steps)]
    if skips:
        out += ["", "Skipped (the reason names what makes them run):", *skips]
    if failures:
        out += ["", "Failed:", *failures]
    failed = bool(failures) or (ci and bool(skips))
    if failed:
        why = " (CI=true: a skipped test fails the run)" if ci and skips else ""
        out += ["", f"make test: FAILED{why}"]
    elif skips:
        out += ["", "make test: passed, with skips (under CI=true these skips would fail it)"]
    else:
        out += ["", "make test: passed, every test of every tier ran"]
    return "\n".join(out), int(failed)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Read the result files, print the summary, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tests.summary", description=__doc__)
    parser.add_argument("--results", type=Path, default=Path("var/test-results"))
    parser.add_argument(
        "--check", action="append", default=[], help="a step without pytest counts (lint)"
    )
    parser.add_argument("tiers", nargs="*", help="the pytest tiers, in the order they ran")
    args = parser.parse_args(argv)
    steps = [load(args.results, name, tier=False) for name in args.check]
    steps += [load(args.results, name, tier=True) for name in args.tiers]
    text, status = render(steps, ci_mode(os.environ if environ is None else environ))
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
