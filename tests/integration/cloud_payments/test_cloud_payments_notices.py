"""The 6xxx notices at the cloud's POST /envelope: verified like every envelope, 6003
recording a window refund once."""

from __future__ import annotations

import json
import secrets
from typing import Any

import requests
from sqlalchemy import select

from cloud_service import saga
from cloud_service.models import OrderEvent
from cloud_service.notices import HANDLERS, Notices
from envelope import CLOUD, HIP, INSFE, EnvelopeClient, Incoming
from envelope.trades import Trade
from tests.integration.cloud_payments.conftest import (
    CLOUD_RING,
    Cloud,
    new_order,
    order_of,
)


def _client(cloud: Cloud, sender: str = HIP) -> EnvelopeClient:
    return EnvelopeClient(
        cloud.url + "/envelope", CLOUD_RING, sender=sender, receiver=CLOUD, hospital_code="H00001"
    )


def _notes(cloud: Cloud, order_no: str, to_state: str) -> list[str]:
    with cloud.deps.sessions() as session:
        return list(
            session.scalars(
                select(OrderEvent.note).where(
                    OrderEvent.order_no == order_no, OrderEvent.to_state == to_state
                )
            )
        )


def _facts(order_no: str) -> dict[str, Any]:
    return {
        "order_no": order_no,
        "refund_no": "WR0001",
        "refund_fen": 1100,
        "refunded_at": "2026-11-26T10:00:00+08:00",
        "operator": "S001",
        "patient_name": "张伟",
        "id_card_no": "110105198001010016",
    }


def test_window_refund_marks_a_confirmed_order_refunded_once_without_personal_data(
    cloud: Cloud,
) -> None:
    order_no = f"WIN{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, "WECHAT", 1100, state=saga.CONFIRMED)
    first = _client(cloud).send("6003", _facts(order_no))
    again = _client(cloud, INSFE).send("6003", _facts(order_no))
    assert first.ok and again.ok and first.body["ack"] is True
    assert order_of(cloud.deps, order_no).state == saga.REFUNDED
    (note,) = _notes(cloud, order_no, saga.REFUNDED)
    assert note.startswith("refunded offline at the window")
    assert json.loads(note.split(" window ", 1)[1])["refund_no"] == "WR0001"
    assert "张伟" not in note and "110105198001010016" not in note


def test_window_refund_of_an_unknown_or_unpaid_order_is_refused(cloud: Cloud) -> None:
    unknown = _client(cloud).send("6003", {"order_no": "NO-SUCH-ORDER"})
    order_no = f"WIN{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, "WECHAT", 500)
    unpaid = _client(cloud).send("6003", {"order_no": order_no})
    assert (unknown.result_code, unpaid.result_code) == ("2008", "2014")
    assert order_of(cloud.deps, order_no).state == saga.AWAITING_PAYMENT


def test_replayed_or_misrouted_notices_are_refused(cloud: Cloud) -> None:
    order_no = f"WIN{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, "ALIPAY", 800, state=saga.CONFIRMED)
    envelope = _client(cloud).build("6003", {"order_no": order_no})
    assert _client(cloud).post(envelope).ok
    replay = requests.post(cloud.url + "/envelope", json=envelope, timeout=5).json()
    assert replay["header"]["result_code"] == "1005"
    from_cloud = _client(cloud, CLOUD).send("6003", {"order_no": order_no})
    assert from_cloud.result_code == "1003"  # the cloud cannot send itself notices
    assert len(_notes(cloud, order_no, saga.REFUNDED)) == 1


def test_report_ready_and_clinic_stopped_are_acknowledged(cloud: Cloud) -> None:
    ready = _client(cloud).send("6001", {"mrn": "M0001", "report_id": "LAB1", "kind": "LAB"})
    stopped = _client(cloud).send("6002", {"schedule_id": "S1", "reason": "医生停诊"})
    assert ready.ok and ready.body == {"ack": True}
    assert stopped.ok and stopped.body == {"ack": True}


def test_clinic_stopped_hands_the_schedule_to_the_hook(cloud: Cloud) -> None:
    seen: list[tuple[str, str]] = []

    def hook(deps: Any, schedule_id: str, reason: str) -> int:
        seen.append((schedule_id, reason))
        return 2

    incoming = Incoming({"trace_id": "t"}, {"schedule_id": "S9", "reason": "停诊"})
    answer = HANDLERS[Trade.CLINIC_STOPPED](Notices(cloud.deps, hook), incoming)
    assert answer.model_dump() == {"ack": True, "affected_orders": 2}
    assert seen == [("S9", "停诊")]


def test_a_partial_window_refund_by_notice_then_the_rest_adds_up(cloud: Cloud) -> None:
    order_no = f"WIN{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, "WECHAT", 1100, state=saga.CONFIRMED)
    part = _client(cloud).send("6003", {**_facts(order_no), "refund_fen": 100})
    retried = _client(cloud).send("6003", {**_facts(order_no), "refund_fen": 100})
    assert part.body["state"] == saga.PARTIALLY_REFUNDED and retried.body["duplicate"] is True
    too_much = _client(cloud).send(
        "6003", {**_facts(order_no), "refund_no": "WR0002", "refund_fen": 1001}
    )
    assert too_much.result_code == "2006"
    rest_facts = {k: v for k, v in _facts(order_no).items() if k != "refund_fen"}
    rest = _client(cloud).send("6003", {**rest_facts, "refund_no": "WR0003"})  # all left
    assert rest.body["state"] == saga.REFUNDED
    assert order_of(cloud.deps, order_no).refunded_fen == 1100


def test_a_6003_naming_a_recorded_receipt_with_another_amount_is_refused(cloud: Cloud) -> None:
    order_no = f"WIN{secrets.token_hex(6).upper()}"
    new_order(cloud.deps, order_no, "WECHAT", 1100, state=saga.CONFIRMED)
    assert _client(cloud).send("6003", {**_facts(order_no), "refund_fen": 100}).ok
    other = _client(cloud).send("6003", {**_facts(order_no), "refund_fen": 200})
    assert other.result_code == "2007"  # never acknowledged as if it were the same refund
    assert order_of(cloud.deps, order_no).refunded_fen == 100
