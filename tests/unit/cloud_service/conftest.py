"""A cloud service layer on a temporary SQLite ledger with fake neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_service.deps import Deps
from servicekit.db import make_engine, migrate, session_factory
from tests.unit.cloud_service.fakes import FakeChannel, FakeHospital


@pytest.fixture()
def hospital() -> FakeHospital:
    """The fake hospital behind the gateway."""
    return FakeHospital()


@pytest.fixture()
def channel() -> FakeChannel:
    """The fake WeChat Pay."""
    return FakeChannel()


@pytest.fixture()
def deps(tmp_path: Path, hospital: FakeHospital, channel: FakeChannel) -> Deps:
    """Deps over a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    migrate(url, Path(__file__).resolve().parents[3] / "cloud_service" / "migrations")
    return Deps(
        sessions=session_factory(make_engine(url)), hospital=hospital, channels={"WECHAT": channel}
    )  # type: ignore[dict-item]
