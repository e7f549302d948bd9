"""The gateway checks answers too: a 0000 whose body is outside the contract of its trade
code is not passed on as a success, and not as a failure either (the answering zone may
have committed it): the sender gets 3003, outcome unknown, and must query before retrying.
The audit keeps both sides (the next zone's 0000 OUT, the 3003 given IN)."""

from __future__ import annotations

import logging

from prometheus_client import Counter

from envelope import codes
from envelope.catalogue import CLOUD, HIP, INSFE
from envelope.client import Reply
from envelope.messages import validate_answer

log = logging.getLogger("hospital_gateway.contract")

ANSWERS_OUTSIDE_CONTRACT = Counter(
    "gateway_answers_outside_contract_total",
    "0000 answers whose body broke their trade code's contract, answered 3003 instead.",
    ["trade_code", "downstream"],
)
_WHO = {HIP: "医院信息系统", INSFE: "医保前置服务", CLOUD: "互联网医院云平台"}


def checked(trade_code: str, downstream: str, reply: Reply) -> Reply:
    """The reply as it may be passed on: a 0000 outside the contract becomes 3003."""
    if not reply.ok:
        return reply
    try:
        validate_answer(trade_code, reply.body)
    except codes.EnvelopeError as exc:
        ANSWERS_OUTSIDE_CONTRACT.labels(trade_code, downstream).inc()
        # The fault names a field and why, never its value (it may be personal).
        log.warning("%s answered %s outside the contract: %s", downstream, trade_code, exc)
        who = _WHO.get(downstream, downstream)
        return Reply(
            codes.TIMED_OUT,
            f"{who}的应答不符合接口约定（{exc.result_msg}），结果未知：请先查询再重试",
        )
    return reply
