"""Calls the insurance_frontend integration tests share: a CLOUD envelope to the app, the app's
parts, a registration order body."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Flask

from envelope import CLOUD, INSFE, EnvelopeClient
from envelope.messages import validate_answer
from insurance_frontend.deps import Deps
from tests.integration.insurance_frontend.insfe_neighbours import INSFE_RING, FakeHis


def send(app: Flask, trade_code: str, body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """Post a CLOUD envelope to /envelope; return (result_code, result_msg, body)."""
    client = EnvelopeClient(
        "unused", INSFE_RING, sender=CLOUD, receiver=INSFE, hospital_code="H00001"
    )
    envelope = client.build(trade_code, body, channel="APP", operator="user-1")
    response = app.test_client().post("/envelope", data=json.dumps(envelope, ensure_ascii=False))
    document = response.get_json()
    code, body = document["header"]["result_code"], document["body"]
    if code == "0000":  # every answer the tests see is checked against its model
        validate_answer(trade_code, body)
    return code, document["header"]["result_msg"], body


def parts(app: Flask) -> Deps:
    return app.extensions["insurance_frontend"]  # type: ignore[no-any-return]


def reg_body(his: FakeHis, mrn: str = "M-ZW", acct_used: bool = True) -> dict[str, Any]:
    order_no = f"R{uuid.uuid4().hex[:20]}"
    return {
        "order_no": order_no,
        "mrn": mrn,
        "kind": "REG",
        "lock_id": his.lock(order_no, mrn),
        "acct_used": acct_used,
    }


def adds_up(split: dict[str, int]) -> bool:
    return split["medfee_sumamt"] == split["hifp_pay"] + split["acct_pay"] + split["psn_cash_pay"]
