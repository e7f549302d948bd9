"""The gateway's route table as data, derived from the trade-code catalogue (DESIGN §3).

Inbound: 1xxx-5xxx only from CLOUD, relayed to the entry's target (HIP or INSFE).
Outbound: 6xxx only from HIP or INSFE, relayed to the cloud. 4001/4002 (insurance sign-in
and sign-out) run inside the hospital and never cross the gateway. Anything else is 1007.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from envelope import codes
from envelope.catalogue import CATALOGUE, CLOUD, HIP, INSFE, TradeCode
from envelope.trades import Trade

INBOUND = "INBOUND"  # Internet zone -> hospital
OUTBOUND = "OUTBOUND"  # hospital -> Internet zone


@dataclass(frozen=True)
class Route:
    """One permitted crossing: this trade code, from this sender, goes out to this party."""

    trade_code: Trade
    sender: str
    target: str
    direction: str


def _routes_of(entry: TradeCode) -> list[Route]:
    if entry.target == CLOUD:
        return [Route(entry.code, sender, CLOUD, OUTBOUND) for sender in (HIP, INSFE)]
    if entry.internal_only:
        return []
    return [Route(entry.code, CLOUD, entry.target, INBOUND)]


def build_table(catalogue: Mapping[Trade, TradeCode]) -> dict[tuple[str, str], Route]:
    """Every permitted (trade code, sender) pair of a catalogue and where it goes."""
    return {
        (route.trade_code, route.sender): route
        for entry in catalogue.values()
        for route in _routes_of(entry)
    }


ROUTES: dict[tuple[str, str], Route] = build_table(CATALOGUE)


def route_for(entry: TradeCode, sender: str) -> Route:
    """The route of a known trade code from this sender, or 1007."""
    route = ROUTES.get((entry.code, sender))
    if route is None:
        raise codes.EnvelopeError(
            codes.ROUTE_NOT_ALLOWED, f"{entry.code} may not cross the gateway from {sender}"
        )
    return route
