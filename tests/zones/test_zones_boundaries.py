"""The zones as deployed: the insured payment crosses them only through the gateway, and no
zone reaches past its neighbour (DESIGN §1, §7 "a message from the Internet zone reaching
the intranet except through the gateway").

The test runner's own namespace plays the patient's phone; it keeps the machine's default
route, so only the zones' namespaces (which have none) are probed for what they cannot reach.
"""

from __future__ import annotations

import pytest

from devstack.stack import DEV_PORTS
from tests.e2e.patient import Patient, pay_at_cashier
from tests.zones.conftest import ADDRESS, DMZ, INSLINE, INTERNET, INTRANET, ZonedSystem

HIP_PORT = DEV_PORTS["integration_platform"]
INSFE_PORT = DEV_PORTS["insurance_frontend"]
CENTER_PORT = DEV_PORTS["insurance_center"]
GATEWAY_PORT = DEV_PORTS["hospital_gateway"]


def test_insured_payment_passes_through_every_zone(zoned: ZonedSystem) -> None:
    patient = Patient(zoned.public_url("cloud_service"), "13800000001", zoned.public_url("sms"))
    patient.sign_in()
    record = patient.bind("110105198001010016", "张伟")
    schedule = patient.todays_schedule(record["mrn"])
    order = patient.register(record["mrn"], schedule["schedule_id"], "INSURANCE", "WECHAT")
    paying = patient.pay(order["order_no"])
    pay_at_cashier(paying["cashier_url"])
    done = patient.wait_for_state(order["order_no"], "CONFIRMED", seconds=60)
    split = done["split"]
    assert split["medfee_sumamt"] == split["hifp_pay"] + split["acct_pay"] + split["psn_cash_pay"]
    assert done["cash_fen"] == split["psn_cash_pay"] and done["setl_id"]


@pytest.mark.parametrize(
    ("host", "port"),
    [
        (ADDRESS["integration_platform"], HIP_PORT),
        (ADDRESS["insurance_frontend"], INSFE_PORT),
        (ADDRESS["insurance_center"], CENTER_PORT),
    ],
)
def test_internet_zone_cannot_connect_past_the_gateway(
    zoned: ZonedSystem, host: str, port: int
) -> None:
    assert zoned.zones.connects(INTERNET, ADDRESS["gateway_from_internet"], GATEWAY_PORT)
    assert not zoned.zones.connects(INTERNET, host, port)


def test_insurance_center_is_reachable_only_from_insurance_frontends_zone(
    zoned: ZonedSystem,
) -> None:
    center = ADDRESS["insurance_center"]
    assert zoned.zones.connects(INTRANET, center, CENTER_PORT)
    for zone in (DMZ, INTERNET):
        assert not zoned.zones.connects(zone, center, CENTER_PORT), zone


def test_intranet_reaches_the_cloud_only_through_the_gateway(zoned: ZonedSystem) -> None:
    assert zoned.zones.connects(INTRANET, ADDRESS["gateway_from_intranet"], GATEWAY_PORT)
    assert not zoned.zones.connects(INTRANET, ADDRESS["cloud_service"], DEV_PORTS["cloud_service"])
    assert not zoned.zones.connects(INSLINE, ADDRESS["gateway_from_intranet"], GATEWAY_PORT)
