"""Fixtures of insurance_frontend's integration tests: the app with real Redis and SQLite,
the insurance center simulator over real HTTP, a fake integration_platform over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from insurance_frontend import Settings, create_app
from insurance_frontend.__main__ import MIGRATIONS
from servicekit.db import migrate
from tests.integration.insurance_frontend.insfe_neighbours import (
    FIXMEDINS_CODE,
    INSFE_HIP_RING,
    INSFE_RING,
    PAAS_ID,
    PAAS_TOKEN,
    FakeHis,
    center_app,
    center_url,
    serving,
)


@pytest.fixture()
def his() -> FakeHis:
    return FakeHis()


@pytest.fixture()
def center(tmp_path: Path) -> Iterator[str]:
    with serving(center_app(tmp_path)) as base:
        yield base


@pytest.fixture()
def settings(tmp_path: Path, redis_url: str, center: str, his: FakeHis) -> Iterator[Settings]:
    with serving(his.app()) as hip_base:
        database_url = f"sqlite:///{tmp_path / 'insfe.db'}"
        migrate(database_url, MIGRATIONS)
        yield Settings(
            redis_url=redis_url,
            hospital_code="H00001",
            center_url=center_url(center),
            paas_id=PAAS_ID,
            paas_token=PAAS_TOKEN,
            fixmedins_code=FIXMEDINS_CODE,
            fixmedins_name="示范医院",
            mdtrtarea_admvs="110105",
            hip_envelope_url=f"{hip_base}/envelope",
            insfe_ring=INSFE_RING,
            insfe_hip_ring=INSFE_HIP_RING,
            database_url=database_url,
            center_connect_timeout=2.0,
            center_read_timeout=5.0,
        )


@pytest.fixture()
def app(settings: Settings) -> Flask:
    return create_app(settings)
