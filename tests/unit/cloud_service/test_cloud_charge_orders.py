"""CHARGE orders: exactly the listed bills, paid through the same saga, confirmed with 3003
(a lost reply asked with 3005)."""

from __future__ import annotations

from typing import Any

import pytest

from cloud_service import accounts, charging, saga
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.saga import orders, patient
from cloud_service.saga.payments import PaidTrade, record_payment
from cloud_service.saga.worker import drain_once
from envelope import Reply, codes
from tests.unit.cloud_service.answers import BILLS, DIGEST, bill
from tests.unit.cloud_service.fakes import FakeHospital, bind, ok

TIMEOUT = Reply(codes.TIMED_OUT, "timed out")


def _user(deps: Deps) -> str:
    user = accounts.register_user(deps, "13800000001")
    bind(deps, user)
    return user


def _charge(deps: Deps, user: str, pay_mode: str = "INSURANCE", **change: Any) -> str:
    fields: dict[str, Any] = {
        "mrn": "M0001",
        "bill_nos": ["B2", "B1"],
        "bills_digest": DIGEST,
        "pay_mode": pay_mode,
        "channel": "WECHAT",
        "trace_id": "t1",
        **change,
    }
    return charging.create_charge(deps, user, **fields).order_no


def _pay(deps: Deps, user: str, order_no: str) -> None:
    paying = patient.start_payment(deps, user, order_no)
    assert paying.state == saga.AWAITING_PAYMENT
    record_payment(deps, PaidTrade("WECHAT", order_no, paying.cash_fen, "WX1", f"n-{order_no}"))
    while drain_once(deps):
        pass


def test_insured_charge_settles_the_listed_bills_and_confirms_with_3003(
    deps: Deps, hospital: FakeHospital
) -> None:
    user = _user(deps)
    order_no = _charge(deps, user)
    order = orders.reload(deps, order_no)
    assert (order.kind, order.total_fen, order.state) == ("CHARGE", 1100, saga.CREATED)
    _pay(deps, user, order_no)
    order = orders.reload(deps, order_no)
    assert order.state == saga.CONFIRMED and '"receipt_no": "RC1"' in (order.result_json or "")
    presettle = next(body for code, body in hospital.calls if code == "4004")
    assert presettle["kind"] == "CHARGE" and presettle["bill_nos"] == ["B1", "B2"]
    assert presettle["bills_digest"] == DIGEST and "lock_id" not in presettle
    charged = next(body for code, body in hospital.calls if code == "3003")
    assert charged["bill_nos"] == ["B1", "B2"] and charged["bills_digest"] == DIGEST
    assert charged["settlement"]["setl_id"] == "SETL1" and charged["settlement"]["cash"] == 100
    assert "2008" not in hospital.codes()


def test_self_pay_charge_pays_cash_then_3003(deps: Deps, hospital: FakeHospital) -> None:
    user = _user(deps)
    order_no = _charge(deps, user, "SELF_PAY")
    _pay(deps, user, order_no)
    order = orders.reload(deps, order_no)
    assert order.state == saga.CONFIRMED and order.cash_fen == 1100
    assert "4004" not in hospital.codes() and "4005" not in hospital.codes()
    assert next(b for c, b in hospital.calls if c == "3003")["settlement"]["pay_mode"] == "SELF_PAY"


def test_a_lost_3003_reply_is_asked_with_3005_before_anything_else(
    deps: Deps, hospital: FakeHospital
) -> None:
    hospital.then("3003", TIMEOUT)
    user = _user(deps)
    order_no = _charge(deps, user, "SELF_PAY")
    _pay(deps, user, order_no)
    assert orders.reload(deps, order_no).state == saga.CONFIRMED
    assert hospital.codes()[-2:] == ["3003", "3005"]


def test_an_unknown_charge_outcome_is_retried_not_assumed_failed(
    deps: Deps, hospital: FakeHospital
) -> None:
    hospital.then("3003", TIMEOUT)
    hospital.then("3005", ok(status="NONE", order_no="x"))
    user = _user(deps)
    order_no = _charge(deps, user, "SELF_PAY")
    _pay(deps, user, order_no)
    assert orders.reload(deps, order_no).state == saga.PAID


@pytest.mark.parametrize(
    "change", [{"bill_nos": ["B1"]}, {"bills_digest": "0" * 64}, {"bill_nos": ["B1", "B2", "B3"]}]
)
def test_a_charge_of_other_bills_than_listed_is_refused_with_2004(
    deps: Deps, change: dict[str, Any]
) -> None:
    with pytest.raises(CloudError) as refused:
        _charge(deps, _user(deps), **change)
    assert refused.value.result_code == codes.BILLS_CHANGED


def test_bills_changed_before_paying_cancel_the_order_and_charge_nothing(
    deps: Deps, hospital: FakeHospital
) -> None:
    user = _user(deps)
    order_no = _charge(deps, user)
    more = [*BILLS, bill("B3", 1, "EXAM")]
    hospital.then("3001", ok(bills=more, total=1101, bills_digest="e" * 64))
    with pytest.raises(CloudError) as refused:
        patient.start_payment(deps, user, order_no)
    assert refused.value.result_code == codes.BILLS_CHANGED
    assert orders.reload(deps, order_no).state == saga.CANCELLED
    assert "4004" not in hospital.codes()


def test_no_unpaid_bills_and_unbound_or_uninsured_records_are_refused(
    deps: Deps, hospital: FakeHospital
) -> None:
    user = _user(deps)
    with pytest.raises(CloudError) as unbound:
        _charge(deps, user, mrn="M9999")
    assert unbound.value.result_code == codes.PATIENT_MISMATCH
    hospital.then("3001", ok(bills=[], total=0, bills_digest="0" * 64))
    with pytest.raises(CloudError) as nothing:
        _charge(deps, user)
    assert nothing.value.result_code == codes.RECORD_NOT_FOUND
    hospital.then("1001", ok(exists=True, mrn="M0002", patient_type="SELF_PAY", insured=False))
    bind(deps, user, "440304197503200035", "王强")
    with pytest.raises(CloudError) as uninsured:
        _charge(deps, user, mrn="M0002")
    assert uninsured.value.result_code == codes.NOT_INSURED
