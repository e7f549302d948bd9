"""One listed difference repaired from the console: only by its rule, audited under staff."""

from __future__ import annotations

import threading
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from cloud_service.console import recon
from cloud_service.errors import CloudError, api_status
from cloud_service.reconcile import Difference
from envelope import codes

DAY = date(2026, 11, 25)


def _fake_module(differences: list[dict[str, Any]]) -> SimpleNamespace:
    calls: dict[str, list[Any]] = {"repair": [], "audit": [], "rerun": [], "stored": []}
    claims: set[tuple[str, str, str]] = set()

    def claim_repair(deps: Any, day: str, order_no: str, kind: str, actor: str) -> None:
        if (day, order_no, kind) in claims:  # as the primary key of repair_claims refuses
            raise CloudError(codes.ORDER_STATE_CONFLICT, "claimed")
        claims.add((day, order_no, kind))

    def release_repair(deps: Any, day: str, order_no: str, kind: str) -> None:
        claims.discard((day, order_no, kind))

    def repair(deps: Any, difference: Difference, day: str, actor: str) -> None:
        calls["repair"].append((difference.order_no, difference.repair, day))
        calls["audit"].append({"actor": actor, "target": difference.order_no})  # repair audits
        difference.status, difference.audit_id = "REPAIRED", 7

    def store_repair(deps: Any, day: str, difference: Difference) -> None:
        calls["stored"].append((day, difference.order_no, difference.status, difference.audit_id))

    return SimpleNamespace(
        calls=calls,
        Difference=Difference,
        stored_report=lambda deps, day: {"differences": differences},
        repair=repair,
        store_repair=store_repair,
        record_operation=lambda deps, **kw: calls["audit"].append(kw),
        claim_repair=claim_repair,
        release_repair=release_repair,
        reconcile_day=lambda deps, day, repair: calls["rerun"].append((day, repair)),
    )


def test_a_listed_difference_is_repaired_by_its_rule_and_audited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _fake_module(
        [{"kind": "PAID_AT_CHANNEL_ONLY", "order_no": "R1", "detail": "x", "repair": "refund"}]
    )
    monkeypatch.setattr(recon, "_module", lambda: fake)
    answer = recon.repair_item(None, "ops", DAY, "R1", "PAID_AT_CHANNEL_ONLY")  # type: ignore[arg-type]
    assert answer["status"] == "REPAIRED"
    assert fake.calls["repair"] == [("R1", "refund", "2026-11-25")]
    assert fake.calls["audit"][0]["actor"] == "ops" and fake.calls["audit"][0]["target"] == "R1"
    # Changed on purpose: one audit row (the repair's own, naming the staff member), and the
    # stored report's one difference brought up to date instead of the day run again.
    assert len(fake.calls["audit"]) == 1
    assert fake.calls["rerun"] == []
    assert fake.calls["stored"] == [("2026-11-25", "R1", "REPAIRED", 7)]


@pytest.mark.parametrize(
    ("listed", "code"),
    [
        ([], codes.RECORD_NOT_FOUND),
        (
            [{"kind": "AMOUNT_MISMATCH", "order_no": "R1", "detail": "x", "repair": ""}],
            codes.ORDER_STATE_CONFLICT,
        ),
    ],
)
def test_an_unlisted_or_person_only_difference_is_refused(
    monkeypatch: pytest.MonkeyPatch, listed: list[dict[str, Any]], code: str
) -> None:
    fake = _fake_module(listed)
    monkeypatch.setattr(recon, "_module", lambda: fake)
    with pytest.raises(CloudError) as caught:
        recon.repair_item(None, "ops", DAY, "R1", "AMOUNT_MISMATCH")  # type: ignore[arg-type]
    assert caught.value.result_code == code
    assert fake.calls["repair"] == [] and fake.calls["audit"] == []


@pytest.mark.parametrize("status", ["REPAIRED", "INFO"])
def test_a_difference_already_repaired_or_only_for_information_is_not_repaired_again(
    monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    listed = {"kind": "PAID_AT_CHANNEL_ONLY", "order_no": "R1", "detail": "x"}
    fake = _fake_module([{**listed, "repair": "refund", "status": status, "audit_id": 3}])
    monkeypatch.setattr(recon, "_module", lambda: fake)
    with pytest.raises(CloudError) as caught:  # a replayed POST, or one the page never offered
        recon.repair_item(None, "ops", DAY, "R1", "PAID_AT_CHANNEL_ONLY")  # type: ignore[arg-type]
    assert caught.value.result_code == codes.ORDER_STATE_CONFLICT
    assert api_status(caught.value.result_code) == 409
    assert fake.calls["repair"] == [] and fake.calls["audit"] == [] and fake.calls["stored"] == []


def test_a_failed_repair_may_be_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = {"kind": "PAID_AT_CHANNEL_ONLY", "order_no": "R1", "detail": "x"}
    fake = _fake_module([{**listed, "repair": "refund", "status": "FAILED"}])
    monkeypatch.setattr(recon, "_module", lambda: fake)
    answer = recon.repair_item(None, "ops", DAY, "R1", "PAID_AT_CHANNEL_ONLY")  # type: ignore[arg-type]
    assert answer["status"] == "REPAIRED" and len(fake.calls["repair"]) == 1


def test_two_identical_repairs_at_the_same_instant_repair_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = {"kind": "PAID_AT_CHANNEL_ONLY", "order_no": "R1", "detail": "x"}
    fake = _fake_module([{**listed, "repair": "refund"}])  # both requests read it unrepaired
    monkeypatch.setattr(recon, "_module", lambda: fake)
    inside, finish = threading.Event(), threading.Event()
    first_repair = fake.repair

    def slow_repair(*args: Any, **kwargs: Any) -> None:
        inside.set()
        finish.wait(5)
        first_repair(*args, **kwargs)

    fake.repair = slow_repair
    first = threading.Thread(
        target=recon.repair_item, args=(None, "ops", DAY, "R1", "PAID_AT_CHANNEL_ONLY")
    )
    first.start()
    assert inside.wait(5)
    with pytest.raises(CloudError) as caught:
        recon.repair_item(None, "ops", DAY, "R1", "PAID_AT_CHANNEL_ONLY")  # type: ignore[arg-type]
    finish.set()
    first.join(5)
    assert caught.value.result_code == codes.ORDER_STATE_CONFLICT
    assert len(fake.calls["repair"]) == 1


def test_a_repair_that_fails_midway_gives_its_claim_back(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = {"kind": "PAID_AT_CHANNEL_ONLY", "order_no": "R1", "detail": "x"}
    fake = _fake_module([{**listed, "repair": "refund"}])
    monkeypatch.setattr(recon, "_module", lambda: fake)
    first_repair = fake.repair

    def lost(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the channel's answer was lost")

    fake.repair = lost
    with pytest.raises(ConnectionError):
        recon.repair_item(None, "ops", DAY, "R1", "PAID_AT_CHANNEL_ONLY")  # type: ignore[arg-type]
    assert fake.calls["stored"] == []  # the stored report still lists it unrepaired
    fake.repair = first_repair  # its steps are idempotent: a person may try again
    answer = recon.repair_item(None, "ops", DAY, "R1", "PAID_AT_CHANNEL_ONLY")  # type: ignore[arg-type]
    assert answer["status"] == "REPAIRED" and len(fake.calls["repair"]) == 1


def test_the_day_parser_takes_yyyy_mm_dd() -> None:
    assert recon.parse_day("2026-11-25") == DAY


@pytest.mark.parametrize("text", ["2026-13-40", "20261125", "2026-W48-3", "2026-11-25T00:00", ""])
def test_the_day_parser_refuses_anything_else_with_1009(text: str) -> None:
    with pytest.raises(CloudError) as caught:
        recon.parse_day(text)
    assert caught.value.result_code == codes.BODY_INVALID
