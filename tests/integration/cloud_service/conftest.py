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
from servicekit.db import make_engine, session_factory
from tests.cloud_env import cloud_env
from tests.unit.cloud_service.fakes import FakeChannel, FakeHospital, sign_in, with_fake_sms


def build_app(tmp_path: Path, redis_url: str, **settings: str) -> Flask:
    """The cloud app over a migrated SQLite ledger, with a fake hospital and channel and a
    fake SMS gateway; ``settings`` override deploy/dev.env."""
    env = cloud_env(tmp_path, redis_url, **settings)
    url = env["DATABASE_URL"]
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
