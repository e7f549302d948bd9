"""One listed difference repaired from the console: only by its rule, audited under staff."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from cloud_service.console import recon
from cloud_service.errors import CloudError
from cloud_service.reconcile import Difference
from envelope import codes

DAY = date(2026, 11, 25)


def _fake_module(differences: list[dict[str, Any]]) -> SimpleNamespace:
    calls: dict[str, list[Any]] = {"repair": [], "audit": [], "rerun": []}

    def repair(deps: Any, difference: Difference, day: str) -> None:
        calls["repair"].append((difference.order_no, difference.repair, day))
        difference.status = "REPAIRED"

    return SimpleNamespace(
        calls=calls,
        Difference=Difference,
        stored_report=lambda deps, day: {"differences": differences},
        repair=repair,
        record_operation=lambda deps, **kw: calls["audit"].append(kw),
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
    assert fake.calls["rerun"] == [(DAY, False)]


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
