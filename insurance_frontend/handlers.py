"""The dispatch table of insurance_frontend: trade code -> handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from envelope.server import Handler, Incoming
from insurance_frontend.fees import SettleRequest
from insurance_frontend.insured import CenterCalls, person_info_body
from insurance_frontend.national import OPTER_MOBILE, OPTER_STAFF, Operator
from insurance_frontend.settlement import InsuranceSettlement

MOBILE_CHANNELS = ("APP", "ALIPAY", "WECHAT")


@dataclass(frozen=True)
class Services:
    """What the handlers call."""

    center: CenterCalls
    settlement: InsuranceSettlement


def operator_of(incoming: Incoming) -> Operator:
    """The national opter fields for the envelope's channel and operator."""
    channel = str(incoming.header.get("channel", ""))
    opter_type = OPTER_MOBILE if channel in MOBILE_CHANNELS else OPTER_STAFF
    return Operator(opter_type, str(incoming.header.get("operator", ""))[:30], channel)


def insured_person(services: Services, incoming: Incoming) -> dict[str, Any]:
    """4003 insured person info (1101)."""
    person = services.center.person(
        incoming.body["id_card_no"],
        incoming.body["name"],
        trace_id=incoming.trace_id,
        operator=operator_of(incoming),
    )
    return person_info_body(person)


def pre_settle(services: Services, incoming: Incoming) -> dict[str, Any]:
    """4004 pre-settle."""
    return services.settlement.presettle(
        SettleRequest.from_body(incoming.body), incoming.trace_id, operator_of(incoming)
    )


def settle(services: Services, incoming: Incoming) -> dict[str, Any]:
    """4005 settle, idempotent on order_no."""
    return services.settlement.settle(
        SettleRequest.from_body(incoming.body), incoming.trace_id, operator_of(incoming)
    )


def settle_query(services: Services, incoming: Incoming) -> dict[str, Any]:
    """4007 settle query."""
    return services.settlement.query(incoming.body["order_no"])


HANDLERS: dict[str, Callable[[Services, Incoming], dict[str, Any]]] = {
    "4003": insured_person,
    "4004": pre_settle,
    "4005": settle,
    "4007": settle_query,
}


def bind_handlers(services: Services) -> dict[str, Handler]:
    """The table with its services bound, as EnvelopeEndpoint takes it."""
    return {code: partial(handler, services) for code, handler in HANDLERS.items()}
