"""tests.results: the pytest plugin that leaves each tier's counts for tests.summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from devstack.stack import ROOT

SAMPLE = """
import pytest

@pytest.fixture()
def broken():
    raise RuntimeError("setup fails")

def test_passes(): pass
def test_fails(): assert False
def test_skips(): pytest.skip("needs a tool: apt-get install the-tool")
@pytest.mark.skipif(True, reason="marked: apt-get install the-tool")
def test_marked(): pass
def test_errors(broken): pass
@pytest.mark.xfail(reason="known")
def test_xfails(): assert False
"""


def run_pytest(directory: Path, *options: str) -> int:
    """pytest in a child process on the directory alone (its own empty pytest.ini)."""
    (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.results"]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # hypothesis & co. are slow
    done = subprocess.run(
        [*argv, "-q", *options, str(directory)], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    return done.returncode


def read(path: Path) -> dict[str, Any]:
    """A result file, parsed."""
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_the_result_file_holds_pytests_counts_reasons_and_exit_status(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    out = tmp_path / "results" / "sample.json"
    assert run_pytest(tmp_path, f"--tier-results={out}") == 1
    result = read(out)
    assert result["exitstatus"] == 1
    assert result["counts"] == {
        "passed": 1,
        "failed": 1,
        "error": 1,
        "skipped": 2,
        "xfailed": 1,
        "xpassed": 0,
    }
    assert sorted(skip["reason"] for skip in result["skips"]) == [
        "marked: apt-get install the-tool",
        "needs a tool: apt-get install the-tool",
    ]
    assert {skip["test"].rpartition("::")[2] for skip in result["skips"]} == {
        "test_skips",
        "test_marked",
    }


def test_a_tier_that_collects_nothing_is_written_with_exit_status_five(tmp_path: Path) -> None:
    (tmp_path / "test_empty.py").write_text("# no tests here\n", encoding="utf-8")
    out = tmp_path / "empty.json"
    assert run_pytest(tmp_path, f"--tier-results={out}") == 5
    result = read(out)
    assert result["exitstatus"] == 5
    assert sum(result["counts"].values()) == 0


def test_without_the_option_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text("def test_one(): pass\n", encoding="utf-8")
    assert run_pytest(tmp_path) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json") == []
