"""The slot gate against a real Redis: only as many patients as the clinic has free slots
go on to the HIS, the rest are told 2002 by the cloud; refusals and releases give the slot
back to the count; the gate never grants a slot; a dead Redis only means the HIS is asked."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from cloud_service import accounts
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order, OutboxStep
from cloud_service.saga import lock, patient
from cloud_service.slot_gate import SlotGate
from devstack.ports import free_port
from envelope import codes
from envelope.client import Reply
from servicekit.db import make_engine, migrate, session_factory
from servicekit.redis_client import connect_optional
from tests.unit.cloud_service.answers import slot_detail
from tests.unit.cloud_service.fakes import FakeHospital, bind, ok

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def hospital() -> FakeHospital:
    hospital = FakeHospital()
    hospital.then("2005", lambda body: ok(**slot_detail(body, remaining=2)))
    return hospital


@pytest.fixture()
def deps(tmp_path: Path, hospital: FakeHospital, redis_url: str) -> Deps:
    from tests.unit.cloud_service.fakes import FakeChannel

    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    migrate(url, ROOT / "cloud_service" / "migrations")
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    return Deps(
        sessions=session_factory(make_engine(url)),
        hospital=hospital,
        channels={"WECHAT": FakeChannel()},  # type: ignore[dict-item]
        slot_gate=SlotGate(redis, seconds=0.5, busy=1),  # every clinic counts as busy
    )


def _register(deps: Deps, user: str, slot_id: str | None = None) -> str:
    order = patient.create_registration(
        deps,
        user,
        mrn="M0001",
        schedule_id="S1",
        slot_id=slot_id,
        pay_mode="SELF_PAY",
        channel="WECHAT",
        trace_id="t",
    )
    return order.order_no


def _refusal(deps: Deps, user: str, slot_id: str | None = None) -> str:
    with pytest.raises(CloudError) as caught:
        _register(deps, user, slot_id)
    return caught.value.result_code


def _patient(deps: Deps, phone: str) -> str:
    user = accounts.register_user(deps, phone)
    bind(deps, user)
    return user


def test_only_as_many_patients_as_free_slots_reach_the_his(
    deps: Deps, hospital: FakeHospital
) -> None:
    users = [_patient(deps, f"1380000002{n}") for n in range(5)]
    _register(deps, users[0])
    _register(deps, users[1])
    assert [_refusal(deps, u) for u in users[2:]] == [codes.SLOT_SOLD_OUT] * 3
    assert hospital.codes().count("2005") == 1  # the count was read once
    assert hospital.codes().count("2006") == 2  # the three others never reached the HIS
    time.sleep(0.6)  # the count expires and is read again: the HIS says 2 free again
    _register(deps, users[2])
    assert hospital.codes().count("2005") == 2


def test_a_refusal_by_the_his_gives_the_slot_back_and_a_2002_empties_the_count(
    deps: Deps, hospital: FakeHospital
) -> None:
    user = _patient(deps, "13800000031")
    hospital.then("2006", Reply(codes.ALREADY_HOLDS_SLOT, "already holds one"))
    assert _refusal(deps, user) == codes.ALREADY_HOLDS_SLOT
    assert deps.slot_gate is not None
    assert deps.slot_gate.redis.get("cloud:slots:S1") == b"2"  # given back
    hospital.then("2006", Reply(codes.SLOT_SOLD_OUT, "no slot left"))
    assert _refusal(deps, user) == codes.SLOT_SOLD_OUT
    assert deps.slot_gate.redis.get("cloud:slots:S1") == b"0"  # the HIS knows better
    assert _refusal(deps, user) == codes.SLOT_SOLD_OUT
    assert hospital.codes().count("2006") == 2


def test_a_cancelled_registration_gives_its_slot_back_to_the_count(
    deps: Deps, hospital: FakeHospital
) -> None:
    first, second, third = (_patient(deps, f"1380000004{n}") for n in range(3))
    order_no = _register(deps, first)
    _register(deps, second)
    assert _refusal(deps, third) == codes.SLOT_SOLD_OUT
    patient.cancel_registration(deps, first, order_no)  # 2007 frees it
    _register(deps, third)
    assert hospital.codes().count("2006") == 3


def test_a_record_of_someone_else_gives_the_slot_back(deps: Deps) -> None:
    stranger = accounts.register_user(deps, "13800000051")
    assert _refusal(deps, stranger) == codes.PATIENT_MISMATCH
    assert deps.slot_gate is not None
    assert deps.slot_gate.redis.get("cloud:slots:S1") == b"2"


def test_without_redis_every_patient_is_answered_by_the_his(
    deps: Deps, hospital: FakeHospital
) -> None:
    dead = SlotGate(connect_optional(f"redis://127.0.0.1:{free_port()}/0"), seconds=5)
    deps = replace(deps, slot_gate=dead)
    hospital.then("2006", Reply(codes.SLOT_SOLD_OUT, "no slot left"))
    user = _patient(deps, "13800000014")
    assert _refusal(deps, user) == codes.SLOT_SOLD_OUT
    assert _refusal(deps, user) == codes.SLOT_SOLD_OUT
    assert hospital.codes().count("2006") == 2


def test_a_quiet_clinic_is_never_counted(deps: Deps, hospital: FakeHospital) -> None:
    assert deps.slot_gate is not None
    deps = replace(deps, slot_gate=SlotGate(deps.slot_gate.redis, seconds=5, busy=10))
    for n in range(5):
        _register(deps, _patient(deps, f"1380000006{n}"))
    assert "2005" not in hospital.codes()  # five patients in a second: not busy
    assert hospital.codes().count("2006") == 5


def _hospital_down(_body: dict[str, object]) -> Reply:
    raise ConnectionError("gateway down")


def _ledger_down(*_args: object) -> None:
    raise OSError("database down")


@pytest.mark.parametrize(
    "failure", ["hospital call", "order not recorded", "lock not stored", "expire step not stored"]
)
def test_a_failure_before_the_lock_is_stored_gives_the_slot_back(
    deps: Deps, hospital: FakeHospital, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    user = _patient(deps, "13800000071")
    if failure == "hospital call":
        hospital.then("2006", _hospital_down)
    elif failure == "order not recorded":
        monkeypatch.setattr(patient, "record_created", _ledger_down)
    elif failure == "lock not stored":
        monkeypatch.setattr(patient, "store_lock", _ledger_down)
    else:  # the lock and its expire step are one commit: the step failing drops the lock too
        monkeypatch.setattr(lock, "enqueue", _ledger_down)
    with pytest.raises((ConnectionError, OSError)):
        _register(deps, user)
    assert deps.slot_gate is not None
    assert deps.slot_gate.redis.get("cloud:slots:S1") == b"2"  # given back
    with deps.sessions() as session:
        assert session.scalars(select(Order.lock_id)).all() in ([], [None])
        assert session.scalars(select(OutboxStep.step)).all() == []


def test_a_stored_lock_keeps_its_slot_and_a_lost_lock_reply_gives_it_back(
    deps: Deps, hospital: FakeHospital
) -> None:
    first, second = _patient(deps, "13800000081"), _patient(deps, "13800000082")
    _register(deps, first)
    assert deps.slot_gate is not None
    assert deps.slot_gate.redis.get("cloud:slots:S1") == b"1"  # held by the stored lock
    hospital.then("2006", Reply(codes.TIMED_OUT, "reply lost"))
    assert _refusal(deps, second) == codes.TIMED_OUT
    assert deps.slot_gate.redis.get("cloud:slots:S1") == b"1"  # as before: asked again (2010)
