"""The cloud's only way into the hospital: envelopes to the gateway, signed with the
Internet zone's key."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import urllib3
from pydantic import ValidationError

from envelope import CLOUD, HIP, INSFE, EnvelopeClient, KeyRing, Reply, codes
from envelope.catalogue import lookup
from envelope.client import connection_pool
from envelope.messages import Message, Request
from envelope.messages.base import explain

log = logging.getLogger(__name__)
M = TypeVar("M", bound=Message)
OUTSIDE_CONTRACT = "医院应答不符合接口约定，结果未知，请先查询再重试"


class HospitalPort(Protocol):
    """Sends one trade code with its body (``call``) or a typed request (``ask``) and
    returns the verified reply."""

    def call(
        self,
        trade_code: str,
        body: dict[str, Any],
        *,
        trace_id: str,
        operator: str = "system",
        channel: str = "APP",
    ) -> Reply: ...

    def ask(
        self, request: Request, *, trace_id: str, operator: str = "system", channel: str = "APP"
    ) -> Reply: ...


class GatewayHospital:
    """HospitalPort over HTTP to hospital_gateway's ``POST /gateway``."""

    def __init__(
        self,
        gateway_url: str,
        ring: KeyRing,
        hospital_code: str,
        timeout_seconds: float,
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        shared = pool or connection_pool()
        timeout = (2.0, float(timeout_seconds))
        self._clients = {
            receiver: EnvelopeClient(
                gateway_url,
                ring,
                sender=CLOUD,
                receiver=receiver,
                hospital_code=hospital_code,
                timeout=timeout,
                pool=shared,
            )
            for receiver in (HIP, INSFE)
        }

    def call(
        self,
        trade_code: str,
        body: dict[str, Any],
        *,
        trace_id: str,
        operator: str = "system",
        channel: str = "APP",
    ) -> Reply:
        """Send to the service that serves the trade code, through the gateway."""
        client = self._clients[lookup(trade_code).target]
        return client.send(trade_code, body, channel=channel, operator=operator, trace_id=trace_id)

    def ask(
        self, request: Request, *, trace_id: str, operator: str = "system", channel: str = "APP"
    ) -> Reply:
        """Send a typed request to the service that serves its trade code, through the
        gateway; ``reply.answer(Model)`` reads the answer."""
        client = self._clients[lookup(request.trade).target]
        return client.ask(request, channel=channel, operator=operator, trace_id=trace_id)


@dataclass(frozen=True)
class Answered(Reply):
    """A 0000 reply whose body fitted its trade's answer model, kept read (``answer``)."""

    read: Message | None = None

    def answer(self, model: type[M]) -> M:
        """The answer as ``model``: the one already read when it is one."""
        if isinstance(self.read, model):
            return self.read
        return super().answer(model)


def ask(
    port: HospitalPort,
    request: Request,
    *,
    trace_id: str,
    operator: str = "system",
    channel: str = "APP",
) -> Reply:
    """Send a typed request; a 0000 whose body does not fit the request's answer model
    comes back as 3003 (the peer may have acted: query before retrying, never assume)."""
    reply = port.ask(request, trace_id=trace_id, operator=operator, channel=channel)
    if not reply.ok:
        return reply
    try:
        read = request.answer.model_validate(reply.body)
    except ValidationError as exc:
        log.warning("a %s answer is outside the contract: %s", request.trade, explain(exc))
        return Reply(codes.TIMED_OUT, OUTSIDE_CONTRACT, {}, reply.header)
    return Answered(reply.result_code, reply.result_msg, reply.body, reply.header, read)


def answer_of(port: HospitalPort, request: Request, model: type[M], trace_id: str) -> M:
    """The typed answer of a read-only call (catalogue, bills, reports), or the refusal
    (a 3003 among them) raised as a CloudError with its own result code."""
    return require_ok_as(ask(port, request, trace_id=trace_id), model)


def require_ok_as(reply: Reply, model: type[M]) -> M:
    """The reply's typed answer, or its refusal raised with its own result code."""
    from cloud_service.errors import CloudError

    if not reply.ok:
        raise CloudError(reply.result_code, reply.result_msg)
    return reply.answer(model)


def require_ok(reply: Reply) -> dict[str, Any]:
    """The reply's body, or the hospital's refusal raised with its own result code."""
    from cloud_service.errors import CloudError

    if not reply.ok:
        raise CloudError(reply.result_code, reply.result_msg)
    return reply.body
