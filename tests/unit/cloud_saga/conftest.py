"""The saga and reconciliation on a temporary SQLite ledger with fake neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_service.deps import Deps
from servicekit.db import make_engine, migrate, session_factory
from tests.unit.cloud_saga.saga_fakes import BillingChannel
from tests.unit.cloud_service.answers import day_detail, day_totals, reversal
from tests.unit.cloud_service.fakes import FakeHospital, ok


@pytest.fixture()
def hospital() -> FakeHospital:
    """The fake hospital, answering the codes recovery and reconciliation use too."""
    fake = FakeHospital()
    fake.then("2007", lambda body: ok(lock_id=body["lock_id"], order_no="R1", status="RELEASED"))
    fake.then("4006", lambda body: ok(**reversal(body)))
    fake.then("4008", lambda body: ok(**day_totals(body)))
    fake.then("4009", lambda body: ok(**day_detail(body)))
    return fake


@pytest.fixture()
def channel() -> BillingChannel:
    """A fake WeChat Pay with refunds and a daily bill."""
    return BillingChannel()


@pytest.fixture()
def deps(tmp_path: Path, hospital: FakeHospital, channel: BillingChannel) -> Deps:
    """Deps over a migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    migrate(url, Path(__file__).resolve().parents[3] / "cloud_service" / "migrations")
    return Deps(
        sessions=session_factory(make_engine(url)),
        hospital=hospital,
        channels={"WECHAT": channel},  # type: ignore[dict-item]
    )
