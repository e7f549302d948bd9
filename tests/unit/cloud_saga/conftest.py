"""The saga and reconciliation on a temporary SQLite ledger with fake neighbours."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_service.deps import Deps
from servicekit.db import make_engine, migrate, session_factory
from tests.unit.cloud_saga.saga_fakes import BillingChannel
from tests.unit.cloud_service.answers import reversal
from tests.unit.cloud_service.fakes import FakeHospital, ok


@pytest.fixture()
def hospital() -> FakeHospital:
    """The fake hospital, answering the codes recovery and reconciliation use too."""
    fake = FakeHospital()
    fake.then("2007", lambda body: ok(lock_id=body["lock_id"], order_no="R1", status="RELEASED"))
    fake.then("4006", lambda body: ok(**reversal(body)))
    fake.then("4008", ok(result="BALANCED", ours={}, center={}))
    fake.then("4009", ok(result="BALANCED", count=0, items=[]))
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
