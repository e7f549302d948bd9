"""Real components for the tests: a Redis server of our own and, where one can be reached,
a fresh PostgreSQL database."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.ports import free_port
from devstack.redis_server import start_redis

ROOT = Path(__file__).resolve().parent.parent


def dev_env() -> dict[str, str]:
    """The KEY=VALUE lines of deploy/dev.env, the development settings."""
    values: dict[str, str] = {}
    for line in (ROOT / "deploy" / "dev.env").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis on a free port, for the whole test session."""
    port = free_port()
    process = start_redis(port, tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def _postgres_admin_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for this session, dropped afterwards."""
    import psycopg

    admin = _postgres_admin_url()
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        why = str(exc).strip().partition("\n")[0]  # one line: the summary folds reasons
        pytest.skip(
            f"no PostgreSQL at {admin} ({why}): apt-get install postgresql and start it, "
            "or set TEST_POSTGRES_URL (.ci/run does both)"
        )
    name = f"hp_test_{secrets.token_hex(4)}"
    conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
