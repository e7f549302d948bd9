"""Window refunds are recorded once and add up: never more than is left refundable, a
partial one leaves the order PARTIALLY_REFUNDED, a repeated one is 2014, and two identical
requests at the same instant cannot both pass (the ledger is PostgreSQL here)."""

from __future__ import annotations

import secrets
import threading

import pytest
from sqlalchemy import func, select

from cloud_service import saga
from cloud_service.errors import CloudError
from cloud_service.models import WindowRefund
from cloud_service.saga import window_refunds
from tests.integration.cloud_payments.conftest import Cloud, new_order, order_of


def _confirmed(cloud: Cloud, total_fen: int = 1100) -> str:
    order_no = f"WR{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, "WECHAT", total_fen, state=saga.CONFIRMED)
    return order_no


def _refund(cloud: Cloud, order_no: str, refund_no: str, fen: int | None) -> str:
    facts: dict[str, object] = {"refund_no": refund_no}
    if fen is not None:
        facts["refund_fen"] = fen
    return window_refunds.record_window_refund(
        cloud.deps, order_no, facts, source="CONSOLE", recorded_by="ops"
    )


def _refunded_rows(cloud: Cloud, order_no: str) -> int:
    with cloud.deps.sessions() as session:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(WindowRefund.amount_fen), 0)).where(
                    WindowRefund.order_no == order_no
                )
            )
        )


def test_a_partial_refund_leaves_the_order_partially_refunded(cloud: Cloud) -> None:
    order_no = _confirmed(cloud)
    assert _refund(cloud, order_no, "W1", 100) == saga.PARTIALLY_REFUNDED
    assert _refund(cloud, order_no, "W2", 500) == saga.PARTIALLY_REFUNDED
    order = order_of(cloud.deps, order_no)
    assert (order.state, order.refunded_fen) == (saga.PARTIALLY_REFUNDED, 600)
    assert _refund(cloud, order_no, "W3", 500) == saga.REFUNDED
    assert order_of(cloud.deps, order_no).refunded_fen == 1100 == _refunded_rows(cloud, order_no)


def test_a_refund_beyond_what_is_left_is_refused_with_2006(cloud: Cloud) -> None:
    order_no = _confirmed(cloud)
    _refund(cloud, order_no, "W1", 100)
    with pytest.raises(CloudError) as refused:
        _refund(cloud, order_no, "W2", 1001)  # 1000 fen are left
    assert refused.value.result_code == "2006" and "可退" in refused.value.result_msg
    assert order_of(cloud.deps, order_no).refunded_fen == 100


@pytest.mark.parametrize("fen", [0, -5, True, "100", 10.5])
def test_a_refund_amount_that_is_not_positive_whole_fen_is_refused(
    cloud: Cloud, fen: object
) -> None:
    order_no = _confirmed(cloud)
    with pytest.raises(CloudError) as refused:
        window_refunds.record_window_refund(
            cloud.deps,
            order_no,
            {"refund_no": "W1", "refund_fen": fen},
            source="CONSOLE",
            recorded_by="ops",
        )
    assert refused.value.result_code == "1009"
    assert order_of(cloud.deps, order_no).state == saga.CONFIRMED


def test_the_same_refund_recorded_again_is_2014_and_counts_once(cloud: Cloud) -> None:
    order_no = _confirmed(cloud)
    _refund(cloud, order_no, "W1", 100)
    with pytest.raises(window_refunds.DuplicateRefund) as again:
        _refund(cloud, order_no, "W1", 100)
    assert again.value.result_code == "2014"
    assert order_of(cloud.deps, order_no).refunded_fen == 100


def test_a_refunded_order_takes_no_further_refund(cloud: Cloud) -> None:
    """The attack found: ¥1 + ¥5 + ¥11 recorded on an ¥11 order."""
    order_no = _confirmed(cloud)
    assert _refund(cloud, order_no, "W1", None) == saga.REFUNDED  # the whole order
    for refund_no, fen in (("W2", 100), ("W3", 500), ("W4", 1100)):
        with pytest.raises(CloudError) as refused:
            _refund(cloud, order_no, refund_no, fen)
        assert refused.value.result_code == "2014"
    assert _refunded_rows(cloud, order_no) == 1100


@pytest.mark.parametrize("refund_nos", [("W1", "W1"), ("W1", "W2")])
def test_two_refunds_at_the_same_instant_never_exceed_the_order(
    cloud: Cloud, refund_nos: tuple[str, str]
) -> None:
    """Identical requests (the same receipt) or two receipts each for the whole amount:
    whatever the interleaving, at most the order's total is recorded."""

    def attempt(order_no: str, refund_no: str, start: threading.Barrier, out: list[str]) -> None:
        start.wait()
        try:
            out.append(_refund(cloud, order_no, refund_no, 1100))
        except CloudError as exc:
            out.append(exc.result_code)

    for _ in range(5):
        order_no = _confirmed(cloud)
        start = threading.Barrier(2)
        outcomes: list[str] = []
        threads = [
            threading.Thread(target=attempt, args=(order_no, no, start, outcomes))
            for no in refund_nos
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert sorted(outcomes) == ["2014", saga.REFUNDED]
        assert _refunded_rows(cloud, order_no) == 1100
        assert order_of(cloud.deps, order_no).refunded_fen == 1100


def test_an_unpaid_or_unknown_order_cannot_be_refunded(cloud: Cloud) -> None:
    order_no = f"WR{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, "WECHAT", 1100)  # awaiting payment
    for target, code in ((order_no, "2014"), ("NO-SUCH", "2008")):
        with pytest.raises(CloudError) as refused:
            _refund(cloud, target, "W1", 100)
        assert refused.value.result_code == code


def test_a_repair_is_claimed_once_until_given_back(cloud: Cloud) -> None:
    from cloud_service.reconcile import claim_repair, release_repair

    key = ("2026-11-25", f"R{secrets.token_hex(4)}", "PAID_AT_CHANNEL_ONLY")
    claim_repair(cloud.deps, *key, actor="ops")
    with pytest.raises(CloudError) as again:
        claim_repair(cloud.deps, *key, actor="admin")
    assert again.value.result_code == "2014"
    release_repair(cloud.deps, *key)
    claim_repair(cloud.deps, *key, actor="admin")


def test_a_failure_in_the_middle_of_recording_leaves_nothing_recorded(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refund row is written, then the guarded move fails: both go, and the same
    receipt can be recorded afterwards (it was never half-recorded)."""
    order_no = _confirmed(cloud)

    def broken_move(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away between the two writes")

    monkeypatch.setattr(window_refunds, "move", broken_move)
    with pytest.raises(RuntimeError):
        _refund(cloud, order_no, "W1", 100)
    monkeypatch.undo()
    assert _refunded_rows(cloud, order_no) == 0
    order = order_of(cloud.deps, order_no)
    assert (order.state, order.refunded_fen) == (saga.CONFIRMED, 0)
    assert _refund(cloud, order_no, "W1", 100) == saga.PARTIALLY_REFUNDED


def test_a_receipt_recorded_again_with_another_amount_is_a_conflict_not_a_retry(
    cloud: Cloud,
) -> None:
    order_no = _confirmed(cloud)
    _refund(cloud, order_no, "W1", 100)
    with pytest.raises(CloudError) as conflict:
        _refund(cloud, order_no, "W1", 500)
    assert conflict.value.result_code == "2007" and not isinstance(
        conflict.value, window_refunds.DuplicateRefund
    )
    assert order_of(cloud.deps, order_no).refunded_fen == 100
