"""A 0000 answer that does not fit its answer model is 3003 to the cloud: the peer may have
acted, so the cloud queries before anything else, never credits, never loses money. Each
forged answer is what an attacker (or a broken peer) would send: fen as text or a float,
a split that does not add up, a missing field, a negative amount."""

from __future__ import annotations

from typing import Any

import pytest

from cloud_service import saga
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order, OutboxStep
from cloud_service.saga import orders
from cloud_service.saga.payments import PaidTrade, record_payment
from cloud_service.saga.worker import drain_once
from envelope import Reply, codes
from tests.unit.cloud_service.answers import SPLIT, hold, insurance
from tests.unit.cloud_service.fakes import FakeHospital, awaiting_order, new_order, ok

Body = dict[str, Any]
FORGED_SETTLEMENTS = {
    "cash part as text": lambda b: insurance(b, split={**SPLIT, "psn_cash_pay": "100"}),
    "cash part as a float": lambda b: insurance(b, split={**SPLIT, "psn_cash_pay": 100.0}),
    "parts that do not add up": lambda b: insurance(b, split={**SPLIT, "hifp_pay": 0}),
    "no split at all": lambda b: {k: v for k, v in insurance(b).items() if k != "split"},
    "a negative fund part": lambda b: insurance(
        b, split={**SPLIT, "hifp_pay": -700, "acct_pay": 1700}
    ),
    "settled without a setl_id": lambda b: insurance(b, setl_id=""),
    "a status outside the contract": lambda b: insurance(b, status="DONE"),
}
FORGED_LOCKS = {
    "total as text": lambda b: hold(b, fees={"reg_fee": 100, "diag_fee": 1000, "total": "1"}),
    "a total that is not the sum": lambda b: hold(
        b, fees={"reg_fee": 100, "diag_fee": 1000, "total": 1}
    ),
    "no lock_id": lambda b: {k: v for k, v in hold(b).items() if k != "lock_id"},
    "a negative fee": lambda b: hold(b, fees={"reg_fee": -1000, "diag_fee": 1000, "total": 0}),
    "not a day": lambda b: hold(b, visit_date="2026-02-30"),
}


def _paid(deps: Deps) -> str:
    order_no = awaiting_order(deps)
    paying = orders.reload(deps, order_no)
    record_payment(deps, PaidTrade("WECHAT", order_no, paying.cash_fen, "WX1", "n1"))
    return order_no


@pytest.mark.parametrize("forged", FORGED_SETTLEMENTS.values(), ids=FORGED_SETTLEMENTS.keys())
def test_a_settle_answer_outside_the_contract_is_queried_first_and_never_credited(
    deps: Deps, hospital: FakeHospital, forged: Any
) -> None:
    hospital.then("4005", lambda body: ok(**forged(body)))
    hospital.then("4007", lambda body: ok(**forged(body)))  # the query is forged too
    order_no = _paid(deps)
    drain_once(deps)
    order = orders.reload(deps, order_no)
    assert hospital.codes()[-2:] == ["4005", "4007"]  # queried, not retried blindly
    assert order.state == saga.PAID and order.setl_id is None  # nothing taken from it
    assert "4006" not in hospital.codes()  # nor undone: the money waits, asked again later
    with deps.sessions() as session:
        pending = session.query(OutboxStep).filter_by(order_no=order_no, done_at=None).all()
    assert "settle" in [row.step for row in pending]


def test_after_a_forged_settle_answer_the_query_decides(deps: Deps, hospital: FakeHospital) -> None:
    hospital.then("4005", lambda body: ok(**FORGED_SETTLEMENTS["cash part as text"](body)))
    order_no = _paid(deps)
    while drain_once(deps):
        pass
    order = orders.reload(deps, order_no)
    assert order.state == saga.CONFIRMED and order.setl_id == "SETL1"
    assert hospital.codes().count("4005") == 1


@pytest.mark.parametrize("forged", FORGED_LOCKS.values(), ids=FORGED_LOCKS.keys())
def test_a_lock_answer_outside_the_contract_is_unknown_and_asked_with_2010(
    deps: Deps, hospital: FakeHospital, forged: Any
) -> None:
    hospital.then("2006", lambda body: ok(**forged(body)))
    with pytest.raises(CloudError) as unknown:
        new_order(deps)
    assert unknown.value.result_code == codes.TIMED_OUT
    with deps.sessions() as session:
        (order,) = session.query(Order).all()
        steps = [row.step for row in session.query(OutboxStep).filter_by(order_no=order.order_no)]
    assert order.state == saga.CREATED and order.lock_id is None and order.total_fen == 0
    assert steps == ["lock_query"]
    hospital.then("2010", lambda body: Reply(codes.SUCCESS, "ok", {"status": "NONE", **body}))
    drain_once(deps)
    assert orders.reload(deps, order.order_no).state == saga.CANCELLED
