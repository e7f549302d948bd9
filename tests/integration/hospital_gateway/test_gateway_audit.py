"""The audit trail: one row per message in and out, counted by result code, no personal data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from devstack.ports import free_port
from envelope import CLOUD, HIP, INSFE
from hospital_gateway import SERVICE
from hospital_gateway.audit import audit_table
from tests.integration.hospital_gateway.gateway_support import (
    AUDIT_TOKEN,
    ID_CARD_NO,
    NAME,
    Backend,
    audit_of,
    post,
    sender,
)

BEARER = {"Authorization": f"Bearer {AUDIT_TOKEN}"}


def test_relayed_message_leaves_an_in_and_an_out_record(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    envelope = sender(CLOUD, HIP).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME})
    _, answer = post(gateway, envelope)
    received, relayed = audit_of(gateway, envelope["header"]["trace_id"])
    head = envelope["header"]
    assert (received["direction"], received["sender"], received["receiver"]) == ("IN", CLOUD, HIP)
    assert (relayed["direction"], relayed["receiver"]) == ("OUT", HIP)
    for record in (received, relayed):
        assert (record["trade_code"], record["msg_id"]) == ("1001", head["msg_id"])
        assert record["reply_msg_id"] == answer["header"]["msg_id"]
        assert record["result_code"] == "0000"
        assert record["at"].endswith("+08:00")
        assert record["latency_ms"] >= 0


def test_audit_holds_no_id_card_number_or_name(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    body = {"id_card_no": ID_CARD_NO, "name": NAME}
    post(gateway, sender(CLOUD, HIP).build("1001", body))
    post(gateway, sender(CLOUD, INSFE).build("4003", body))
    post(gateway, sender(CLOUD, HIP).build("1001", {"id_card_no": ID_CARD_NO}))  # 1009
    hostile = sender(CLOUD, HIP).build("1001", body)
    hostile["header"]["msg_id"] = f"CLOUD{ID_CARD_NO}{NAME}"
    post(gateway, hostile)  # 1002: unverified header text is masked before it is stored
    engine = gateway.application.extensions[SERVICE].audit._engine
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(select(audit_table))]
    assert len(rows) == 2 + 2 + 1 + 1
    text = repr(rows)
    assert ID_CARD_NO not in text
    assert NAME not in text


def test_stats_count_messages_by_direction_and_result_code(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    post(gateway, sender(CLOUD, HIP).build("2001", {}))
    post(gateway, sender(CLOUD, INSFE).build("4001", {"operator": "x"}))
    post(gateway, b"nope")
    counts = gateway.get("/stats", headers=BEARER).get_json()["counts"]
    assert counts == {"IN": {"0000": 1, "1007": 1, "1001": 1}, "OUT": {"0000": 1}}


def test_audit_api_refuses_a_missing_or_forged_token_with_1003(gateway: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer no"}, {"Authorization": AUDIT_TOKEN}):
        answer = gateway.get("/audit?trace_id=x", headers=headers)
        assert answer.status_code == 401
        assert answer.get_json() == {"result_code": "1003", "result_msg": "审计令牌缺失或无效"}
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="audit"'
    assert gateway.get("/stats").status_code == 401


def test_audit_api_is_not_served_when_the_token_setting_is_empty(
    make_gateway: Callable[..., FlaskClient],
) -> None:
    gateway = make_gateway(audit_token="")
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {AUDIT_TOKEN}"}):
        answer = gateway.get("/stats", headers=headers)
        assert answer.status_code == 404 and answer.get_json()["result_code"] == "1010"


def test_health_check_answers(gateway: FlaskClient) -> None:
    assert gateway.get("/healthz").get_json() == {"service": SERVICE, "status": "ok"}


def test_answer_still_goes_back_when_the_audit_write_fails(
    make_gateway: Callable[..., FlaskClient], tmp_path: Path, backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(database_url=f"sqlite:///{tmp_path / 'never_migrated.db'}")
    status, answer = post(gateway, sender(CLOUD, HIP).build("2001", {}))
    assert (status, answer["header"]["result_code"]) == (200, "0000")


def test_without_redis_nothing_is_accepted_and_health_says_degraded(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    status, answer = post(gateway, sender(CLOUD, HIP).build("2001", {}))
    assert (status, answer["header"]["result_code"]) == (500, "9999")
    assert sum(backend.count for backend in backends.values()) == 0
    assert gateway.get("/healthz").status_code == 503
