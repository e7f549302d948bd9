"""The cloud's only way into the hospital: envelopes to the gateway, signed with the
Internet zone's key."""

from __future__ import annotations

from typing import Any, Protocol

import urllib3

from envelope import CLOUD, HIP, INSFE, EnvelopeClient, KeyRing, Reply
from envelope.catalogue import lookup
from envelope.client import connection_pool
from envelope.messages import Request


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


def require_ok(reply: Reply) -> dict[str, Any]:
    """The reply's body, or the hospital's refusal raised with its own result code."""
    from cloud_service.errors import CloudError

    if not reply.ok:
        raise CloudError(reply.result_code, reply.result_msg)
    return reply.body
