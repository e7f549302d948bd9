"""The sign-in guard's decisions with the limits package's memory storage, the dummy hash,
and the console settings refused at start-up."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage
from werkzeug.security import check_password_hash, generate_password_hash

from cloud_service.console import staff
from cloud_service.console.signin import Outcome, SignInGuard, SignInPolicy
from cloud_service.console.staff import dummy_hash, parse_users
from cloud_service.settings import _console
from servicekit.config import MissingSetting

HASH = generate_password_hash("right", method="pbkdf2:sha256:1000")
USERS = parse_users(f"ops:OPERATOR:{HASH}")


def guard(**policy: int) -> SignInGuard:
    return SignInGuard(USERS, MemoryStorage(), SignInPolicy(**policy))


def test_the_dummy_hash_has_the_users_method_and_cost_and_matches_no_password() -> None:
    dummy = dummy_hash(USERS)
    assert dummy.split("$")[0] == "pbkdf2:sha256:1000"
    assert len(dummy.split("$")[2]) == len(HASH.split("$")[2])
    assert not check_password_hash(dummy, "right") and not check_password_hash(dummy, "")
    assert dummy_hash({}).startswith(staff.DEFAULT_METHOD + "$")


def test_a_locked_name_is_refused_without_hashing_a_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checker = guard(failures=3)
    outcomes = [checker.attempt("ops", "wrong", "10.0.0.1").outcome for _ in range(3)]
    assert outcomes == [Outcome.WRONG, Outcome.WRONG, Outcome.LOCKED]
    calls: list[str] = []

    def counted(pwhash: str, password: str) -> bool:
        calls.append(pwhash)
        return True

    monkeypatch.setattr(staff, "check_password_hash", counted)
    assert checker.attempt("ops", "right", "10.0.0.1").outcome is Outcome.LOCKED
    assert calls == []


def test_a_busy_address_is_refused_before_the_name_is_looked_at() -> None:
    checker = guard(per_address_per_minute=2)
    assert checker.attempt("a", "x", "10.0.0.1").outcome is Outcome.WRONG
    assert checker.attempt("b", "x", "10.0.0.1").outcome is Outcome.WRONG
    assert checker.attempt("ops", "right", "10.0.0.1").outcome is Outcome.BUSY
    assert checker.attempt("ops", "right", "10.0.0.2").outcome is Outcome.SIGNED_IN


def test_a_success_forgets_earlier_failures_and_an_over_long_name_is_nobody() -> None:
    checker = guard(failures=3)
    checker.attempt("ops", "wrong", "10.0.0.1")
    checker.attempt("ops", "wrong", "10.0.0.1")
    assert checker.attempt("ops", "right", "10.0.0.1").outcome is Outcome.SIGNED_IN
    assert checker.attempt("ops", "wrong", "10.0.0.1").outcome is Outcome.WRONG
    long_users = parse_users(f"{'o' * 80}:VIEWER:{HASH}")
    long_guard = SignInGuard(long_users, MemoryStorage(), SignInPolicy())
    assert long_guard.attempt("o" * 80, "right", "10.0.0.1").outcome is Outcome.WRONG


@pytest.mark.parametrize(
    "env",
    [{"CONSOLE_COOKIE_SECURE": "maybe"}, {"CONSOLE_LOCKOUT_FAILURES": "0"},
     {"CONSOLE_SIGNIN_PER_ADDRESS": "-1"}, {"CONSOLE_SESSION_IDLE_SECONDS": "abc"},
     {"CONSOLE_SESSION_IDLE_SECONDS": "50000", "CONSOLE_SESSION_MAX_SECONDS": "100"}],
)  # fmt: skip
def test_unusable_console_settings_stop_the_start(env: dict[str, str]) -> None:
    with pytest.raises(MissingSetting):
        _console(env)


def test_the_console_defaults_are_the_design_values() -> None:
    console = _console({})
    assert console.cookie_secure is True
    assert (console.session_idle_seconds, console.session_max_seconds) == (1800, 43200)
    assert (console.lockout_failures, console.lockout_seconds) == (5, 900)
    assert _console({"CONSOLE_COOKIE_SECURE": "false"}).cookie_secure is False
