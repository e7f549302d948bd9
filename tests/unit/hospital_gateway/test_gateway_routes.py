"""The gateway's route table: every catalogue code, both directions (DESIGN §3 routes)."""

from __future__ import annotations

import pytest

from envelope import codes
from envelope.catalogue import CATALOGUE, CLOUD, GATEWAY, HIP, INSFE, lookup, route_allowed
from hospital_gateway.routes import INBOUND, OUTBOUND, ROUTES, route_for

INBOUND_CODES = sorted(c for c in CATALOGUE if c[0] in "12345" and c not in ("4001", "4002"))
OUTBOUND_CODES = sorted(c for c in CATALOGUE if c[0] == "6")
SENDERS = (CLOUD, GATEWAY, HIP, INSFE)


def test_catalogue_has_the_37_interfaces_and_the_table_covers_every_crossing() -> None:
    assert len(CATALOGUE) == 37
    assert len(ROUTES) == len(INBOUND_CODES) + 2 * len(OUTBOUND_CODES)


@pytest.mark.parametrize("code", INBOUND_CODES)
def test_inbound_code_from_cloud_goes_to_its_catalogue_target(code: str) -> None:
    route = route_for(lookup(code), CLOUD)
    assert route.direction == INBOUND
    assert route.target == CATALOGUE[code].target
    assert route.target == (INSFE if code.startswith("4") else HIP)


@pytest.mark.parametrize("code", INBOUND_CODES)
@pytest.mark.parametrize("sender", (GATEWAY, HIP, INSFE))
def test_inbound_code_from_anyone_but_cloud_is_refused_with_1007(code: str, sender: str) -> None:
    with pytest.raises(codes.EnvelopeError) as refused:
        route_for(lookup(code), sender)
    assert refused.value.result_code == codes.ROUTE_NOT_ALLOWED


@pytest.mark.parametrize("code", OUTBOUND_CODES)
@pytest.mark.parametrize("sender", (HIP, INSFE))
def test_outbound_code_from_hospital_goes_to_the_cloud(code: str, sender: str) -> None:
    route = route_for(lookup(code), sender)
    assert (route.direction, route.target) == (OUTBOUND, CLOUD)


@pytest.mark.parametrize("code", OUTBOUND_CODES)
@pytest.mark.parametrize("sender", (CLOUD, GATEWAY))
def test_outbound_code_from_cloud_is_refused_with_1007(code: str, sender: str) -> None:
    with pytest.raises(codes.EnvelopeError) as refused:
        route_for(lookup(code), sender)
    assert refused.value.result_code == codes.ROUTE_NOT_ALLOWED


@pytest.mark.parametrize("code", ("4001", "4002"))
@pytest.mark.parametrize("sender", SENDERS)
def test_insurance_sign_in_and_out_never_cross_the_gateway(code: str, sender: str) -> None:
    with pytest.raises(codes.EnvelopeError) as refused:
        route_for(lookup(code), sender)
    assert refused.value.result_code == codes.ROUTE_NOT_ALLOWED


def test_department_list_from_hip_is_refused_with_1007() -> None:
    with pytest.raises(codes.EnvelopeError) as refused:
        route_for(lookup("2001"), HIP)
    assert refused.value.result_code == codes.ROUTE_NOT_ALLOWED


@pytest.mark.parametrize("code", sorted(CATALOGUE))
@pytest.mark.parametrize("sender", SENDERS)
def test_table_agrees_with_the_catalogue_route_rule(code: str, sender: str) -> None:
    assert ((code, sender) in ROUTES) == route_allowed(CATALOGUE[code], sender)


@pytest.mark.parametrize("code", ("0000", "7001", "9999", "1011"))
def test_unknown_trade_code_is_refused_with_1006(code: str) -> None:
    with pytest.raises(codes.EnvelopeError) as refused:
        lookup(code)
    assert refused.value.result_code == codes.UNKNOWN_TRADE_CODE
