"""integration_platform through app.test_client(): a migrated, seeded database (SQLite file
or PostgreSQL) and a real Redis for the nonce store."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from envelope import EnvelopeClient, KeyRing, codes
from envelope.messages import validate_answer
from integration_platform import MIGRATIONS, SERVICE, Settings, create_app
from integration_platform.seed import seed
from servicekit.db import make_engine, migrate, session_factory

HIP_RING = KeyRing.from_settings("HIP", "hip-test-1", "test-gateway-hip-secret")
INSFE_HIP_RING = KeyRing.from_settings("INSFE_HIP", "insfe-hip-test-1", "test-insfe-hip-secret")

Call = Callable[..., tuple[str, dict[str, Any]]]


def prepare_database(url: str) -> None:
    """Migrate and seed the database at url, then let go of it."""
    migrate(url, MIGRATIONS)
    engine = make_engine(url)
    seed(session_factory(engine))
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated and seeded SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("hip_template") / "his.db"
    prepare_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(seeded_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the seeded database for one test."""
    target = tmp_path / "his.db"
    shutil.copyfile(seeded_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def hip_postgres_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of integration_platform's own, migrated and seeded."""
    name = f"hip_test_{secrets.token_hex(4)}"
    admin = psycopg.connect(postgres_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    prepare_database(url)
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def build_app(database_url: str, redis_url: str) -> Flask:
    """The app as gunicorn would build it, on the given database."""
    settings = Settings(
        redis_url=redis_url,
        hip_ring=HIP_RING,
        insfe_hip_ring=INSFE_HIP_RING,
        database_url=database_url,
        hospital_code="H00001",
        lock_minutes=15,
    )
    return create_app(settings)


@pytest.fixture
def app(sqlite_url: str, redis_url: str) -> Flask:
    """The app on a fresh seeded SQLite file."""
    return build_app(sqlite_url, redis_url)


def sessions_of(app: Flask) -> sessionmaker[Session]:
    """The session factory the app uses, for arranging and checking rows."""
    factory: sessionmaker[Session] = app.extensions[SERVICE].sessions
    return factory


def make_call(app: Flask) -> Call:
    """A function that signs a request as the gateway relays it, posts it, returns the reply
    (a 0000 answer checked against its answer model on the way)."""
    client = app.test_client()
    senders = {"CLOUD": HIP_RING, "INSFE": INSFE_HIP_RING}

    def call(
        trade_code: str, body: dict[str, Any], sender: str = "CLOUD", ring: KeyRing | None = None
    ) -> tuple[str, dict[str, Any]]:
        builder = EnvelopeClient(
            "http://unused",
            ring or senders[sender],
            sender=sender,
            receiver="HIP",
            hospital_code="H00001",
        )
        response = client.post("/envelope", json=builder.build(trade_code, body))
        document = response.get_json()
        result_code = document["header"]["result_code"]
        if result_code == codes.SUCCESS:
            # Every answer any test gets is one its trade's answer model accepts.
            validate_answer(trade_code, document["body"])
        return result_code, document["body"]

    return call


@pytest.fixture
def call_factory() -> Callable[[Flask], Call]:
    """make_call, for tests that need a caller per thread or per app."""
    return make_call


@pytest.fixture
def pg_app(hip_postgres_url: str, redis_url: str) -> Flask:
    """The app on the migrated and seeded PostgreSQL database."""
    return build_app(hip_postgres_url, redis_url)


@pytest.fixture
def hip_ring() -> KeyRing:
    """The gateway-integration_platform link's test key."""
    return HIP_RING


@pytest.fixture
def call(app: Flask) -> Call:
    """Send one trade code to the app: ``code, body = call("1001", {...})``."""
    return make_call(app)
