"""The dispatch table of insurance_frontend: trade code -> handler.

4001 sign-in and 4002 sign-out are not served by envelope: they run inside the hospital, by the
scheduler (``python -m insurance_frontend scheduler``) or a staff command
(``python -m insurance_frontend signin|signout``). An envelope asking for them gets 1007.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from envelope import codes
from envelope.codes import EnvelopeError
from envelope.messages import insurance
from envelope.server import Handler, Incoming
from envelope.trades import Trade
from insurance_frontend.deps import Deps
from insurance_frontend.fees import SettleRequest
from insurance_frontend.insured import person_info_body
from insurance_frontend.national import OPTER_MOBILE, OPTER_STAFF, Operator
from insurance_frontend.reconcile import parse_day

MOBILE_CHANNELS = ("APP", "ALIPAY", "WECHAT")


def operator_of(incoming: Incoming) -> Operator:
    """The national opter fields for the envelope's channel and operator."""
    channel = str(incoming.header.get("channel", ""))
    opter_type = OPTER_MOBILE if channel in MOBILE_CHANNELS else OPTER_STAFF
    return Operator(opter_type, str(incoming.header.get("operator", ""))[:30], channel)


def staff_only(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """4001 / 4002: refused by envelope (1007); the scheduler and staff commands sign."""
    raise EnvelopeError(
        codes.ROUTE_NOT_ALLOWED,
        "insurance sign-in and sign-out run inside the hospital (scheduler or staff command)",
    )


def insured_person(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """4003 insured person info (1101)."""
    request = incoming.typed(insurance.InsuredPerson)
    person = deps.center.person(
        request.id_card_no, request.name, trace_id=incoming.trace_id, operator=operator_of(incoming)
    )
    return person_info_body(person)


def pre_settle(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """4004 pre-settle."""
    request = SettleRequest.of(incoming.typed(insurance.Presettle))
    return deps.settlement.presettle(request, incoming.trace_id, operator_of(incoming))


def settle(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """4005 settle, idempotent on order_no."""
    request = SettleRequest.of(incoming.typed(insurance.Settle))
    return deps.settlement.settle(request, incoming.trace_id, operator_of(incoming))


def settle_reversal(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """4006 settle reversal, idempotent on order_no."""
    request = incoming.typed(insurance.ReverseSettlement)
    return deps.settlement.reverse(
        request.order_no, request.reason, incoming.trace_id, operator_of(incoming)
    )


def settle_query(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """4007 settle query (a lost settle is resolved first)."""
    request = incoming.typed(insurance.QuerySettlement)
    return deps.settlement.query(request.order_no, incoming.trace_id, operator_of(incoming))


def reconcile_totals(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """4008 reconcile totals for a date (3201, then 3202 when they disagree)."""
    day = parse_day(incoming.typed(insurance.ReconcileTotals).date)
    return deps.reconciliation.totals(day, incoming.trace_id, operator_of(incoming))


def reconcile_detail(deps: Deps, incoming: Incoming) -> dict[str, Any]:
    """4009 reconcile detail for a date (3202)."""
    day = parse_day(incoming.typed(insurance.ReconcileDetail).date)
    return deps.reconciliation.detail(day, incoming.trace_id, operator_of(incoming))


HANDLERS: dict[Trade, Callable[[Deps, Incoming], dict[str, Any]]] = {
    Trade.INSURANCE_SIGN_IN: staff_only,
    Trade.INSURANCE_SIGN_OUT: staff_only,
    Trade.INSURED_PERSON: insured_person,
    Trade.PRESETTLE: pre_settle,
    Trade.SETTLE: settle,
    Trade.REVERSE_SETTLEMENT: settle_reversal,
    Trade.QUERY_SETTLEMENT: settle_query,
    Trade.RECONCILE_TOTALS: reconcile_totals,
    Trade.RECONCILE_DETAIL: reconcile_detail,
}


def bind_handlers(deps: Deps) -> dict[str, Handler]:
    """The table with the process's deps bound, as EnvelopeEndpoint takes it; each message
    runs its statements on one database connection (db.py)."""
    return {code: partial(_on_one_connection, handler, deps) for code, handler in HANDLERS.items()}


def _on_one_connection(
    handler: Callable[[Deps, Incoming], dict[str, Any]], deps: Deps, incoming: Incoming
) -> dict[str, Any]:
    with deps.db.held():
        return handler(deps, incoming)
