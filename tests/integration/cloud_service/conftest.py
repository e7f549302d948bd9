"""The cloud app over a migrated SQLite ledger and the test Redis, with a fake hospital,
a fake channel and a fake SMS gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cloud_service import create_app
from cloud_service.deps import Deps
from cloud_service.settings import Settings
from devstack.keys import ensure_dev_keys
from devstack.stack import ROOT, read_env_file
from servicekit.db import make_engine, migrate, session_factory
from tests.unit.cloud_service.fakes import FakeChannel, FakeHospital, sign_in, with_fake_sms


def build_app(tmp_path: Path, redis_url: str, **settings: str) -> Flask:
    """The cloud app over a migrated SQLite ledger, with a fake hospital and channel and a
    fake SMS gateway; ``settings`` override deploy/dev.env."""
    env = read_env_file(ROOT / "deploy" / "dev.env")
    for key in list(env):
        if key.endswith("_KEY_PATH"):
            env[key] = str(tmp_path / "keys" / Path(env[key]).name)
    ensure_dev_keys(ROOT, env)
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    env.update(REDIS_URL=redis_url, DATABASE_URL=url, **settings)
    migrate(url, ROOT / "cloud_service" / "migrations")
    flask_app = create_app(Settings.from_env(env))
    flask_app.extensions["cloud_deps"] = Deps(
        sessions=session_factory(make_engine(url)),
        hospital=FakeHospital(),
        channels={"WECHAT": FakeChannel()},
        identity=flask_app.extensions["cloud_deps"].identity,
    )  # type: ignore[dict-item]
    with_fake_sms(flask_app)
    return flask_app


@pytest.fixture()
def app(tmp_path: Path, redis_url: str) -> Iterator[Flask]:
    """The cloud app with development settings."""
    yield build_app(tmp_path, redis_url)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A signed-in patient's client."""
    client = app.test_client()
    token = sign_in(client, "13800000001")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client
