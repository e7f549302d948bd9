"""tests.summary: the closing table of `make test` and the exit status it calls for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.summary import ci_mode, main

CHROMIUM = "Debian's chromium is not installed: apt-get install chromium fonts-wqy-zenhei"
COMPOSE = "docker-compose is not installed: apt-get install docker-compose"


def tier(
    results: Path,
    name: str,
    status: int = 0,
    exitstatus: int = 0,
    skip_reasons: tuple[str, ...] = (),
    **counts: int,
) -> None:
    """Write a tier's result files as `make test` leaves them, one skip per reason given."""
    skips = list(skip_reasons)
    data: dict[str, Any] = {
        "exitstatus": exitstatus,
        "seconds": 1.5,
        "counts": {"passed": 0, "failed": 0, "error": 0, "skipped": len(skips), **counts},
        "skips": [
            {"test": f"tests/{name}/test_x.py::test_{i}", "reason": r} for i, r in enumerate(skips)
        ],
    }
    (results / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    (results / f"{name}.status").write_text(f"{status}\n", encoding="utf-8")


def run(
    results: Path, capsys: pytest.CaptureFixture[str], *tiers: str, ci: str = ""
) -> tuple[int, str]:
    """tests.summary over lint and the tiers; its exit status and what it printed."""
    if not (results / "lint.status").exists():
        (results / "lint.status").write_text("0\n", encoding="utf-8")
    status = main(["--results", str(results), "--check", "lint", *tiers], {"CI": ci})
    return status, capsys.readouterr().out


def row(out: str, name: str) -> list[str]:
    """The table row of one step, split on runs of spaces."""
    line = next(line for line in out.splitlines() if line.startswith(f"{name} "))
    return line.split()


def test_every_tier_passing_prints_each_row_and_exits_zero_even_under_ci(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tier(tmp_path, "unit", passed=812)
    tier(tmp_path, "fuzz", passed=9)
    status, out = run(tmp_path, capsys, "unit", "fuzz", ci="true")
    assert status == 0
    assert row(out, "lint") == ["lint", "passed", "-", "-", "-", "-", "-", "-"]
    assert row(out, "unit") == ["unit", "passed", "812", "0", "0", "0", "0", "1.5"]
    assert out.rstrip().endswith("make test: passed, every test of every tier ran")


def test_a_failed_test_fails_the_run_and_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tier(tmp_path, "unit", passed=10)
    tier(tmp_path, "integration", status=2, exitstatus=1, passed=300, failed=2, error=1)
    status, out = run(tmp_path, capsys, "unit", "integration")
    assert status == 1
    assert row(out, "integration")[:5] == ["integration", "FAILED", "300", "2", "1"]
    assert "  integration: 2 failed, 1 error" in out
    assert out.rstrip().endswith("make test: FAILED")


def test_under_ci_the_verdict_names_the_skips_beside_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tier(tmp_path, "unit", status=2, exitstatus=1, passed=9, failed=1)
    tier(tmp_path, "browser", skip_reasons=(CHROMIUM,))
    status, out = run(tmp_path, capsys, "unit", "browser", ci="true")
    assert status == 1
    assert "  unit: 1 failed" in out
    assert out.rstrip().endswith("make test: FAILED (CI=true: a skipped test fails the run)")


def test_skipped_tiers_pass_locally_but_list_the_command_that_makes_them_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tier(tmp_path, "unit", passed=10)
    tier(tmp_path, "browser", skip_reasons=(CHROMIUM,) * 5)
    tier(tmp_path, "deploy-check", passed=20, skip_reasons=(COMPOSE,) * 8)
    status, out = run(tmp_path, capsys, "unit", "browser", "deploy-check")
    assert status == 0
    assert row(out, "browser")[:2] == ["browser", "SKIPPED"]
    assert row(out, "deploy-check")[:3] == ["deploy-check", "partly", "skipped"]
    assert f"  browser (5 skipped): {CHROMIUM}" in out  # one line per reason, not per test
    assert f"  deploy-check (8 skipped): {COMPOSE}" in out
    assert "under CI=true these skips would fail it" in out


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_under_ci_a_single_skipped_test_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ci: str
) -> None:
    tier(tmp_path, "unit", passed=10)
    tier(tmp_path, "deploy-check", passed=20, skip_reasons=(COMPOSE,))
    status, out = run(tmp_path, capsys, "unit", "deploy-check", ci=ci)
    assert status == 1
    assert f"  deploy-check (1 skipped): {COMPOSE}" in out
    assert "make test: FAILED (CI=true: a skipped test fails the run)" in out


@pytest.mark.parametrize("exitstatus", [5, 0])  # 0: a forged file that claims success
def test_a_tier_that_collected_no_tests_fails_even_outside_ci(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], exitstatus: int
) -> None:
    tier(tmp_path, "unit", passed=10)
    tier(tmp_path, "fuzz", exitstatus=exitstatus)
    status, out = run(tmp_path, capsys, "unit", "fuzz")
    assert status == 1
    assert row(out, "fuzz")[:3] == ["fuzz", "NO", "TESTS"]
    assert f"  fuzz: no tests collected (pytest exit {exitstatus})" in out


def test_a_tier_without_a_result_file_fails_as_not_finished(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tier(tmp_path, "unit", passed=10)
    (tmp_path / "e2e.status").write_text("2\n", encoding="utf-8")  # pytest died before its end
    status, out = run(tmp_path, capsys, "unit", "e2e", "zones")  # zones: never ran at all
    assert status == 1
    assert row(out, "e2e") == ["e2e", "FAILED", "-", "-", "-", "-", "-", "-"]
    assert "  e2e: no result file: pytest did not finish (make exit 2)" in out
    assert "  zones: no result file: pytest did not finish" in out


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "[]",
        '{"exitstatus": 0}',
        '{"exitstatus": "x", "counts": {}}',
        '{"exitstatus": 0, "counts": {"passed": "many"}}',
    ],
)
def test_a_malformed_result_file_fails_the_run_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    (tmp_path / "unit.json").write_text(content, encoding="utf-8")
    status, out = run(tmp_path, capsys, "unit")
    assert status == 1
    assert "  unit: unreadable result file (" in out
    assert "Traceback" not in out


def test_a_nonzero_make_status_fails_a_tier_whose_counts_look_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tier(tmp_path, "unit", status=2, passed=10)  # e.g. the venv step failed after pytest
    status, out = run(tmp_path, capsys, "unit")
    assert status == 1
    assert "  unit: pytest exit 0, make exit 2" in out


def test_lint_failing_or_not_run_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tier(tmp_path, "unit", passed=10)
    (tmp_path / "lint.status").write_text("2\n", encoding="utf-8")
    status, out = run(tmp_path, capsys, "unit")
    assert status == 1
    assert row(out, "lint")[:2] == ["lint", "FAILED"]
    assert "  lint: exit 2" in out
    (tmp_path / "lint.status").write_text("garbage", encoding="utf-8")
    status, out = run(tmp_path, capsys, "unit")
    assert status == 1
    assert "  lint: did not run" in out


@pytest.mark.parametrize(
    ("value", "on"),
    [("true", True), ("1", True), ("yes", True), ("", False), ("false", False), ("0", False)],
)
def test_ci_mode_follows_the_ci_variable(value: str, on: bool) -> None:
    assert ci_mode({"CI": value}) is on
    assert ci_mode({}) is False
