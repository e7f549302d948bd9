"""The nonce (1005) and both rate limits (1008) are checked in one Redis call: a replay is
still 1005 and counts against no limit, a refused message still spends its nonce, and a
replay is 1005 whatever else is wrong with it."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from envelope import CLOUD, HIP
from tests.integration.hospital_gateway.gateway_support import Backend, post, sender


def _code(gateway: FlaskClient, envelope: dict[str, object]) -> str:
    return str(post(gateway, envelope)[1]["header"]["result_code"])


def test_a_replay_counts_against_no_limit(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(rate_per_sender=2)
    first = sender(CLOUD, HIP).build("2001", {})
    assert [_code(gateway, first) for _ in range(4)] == ["0000", "1005", "1005", "1005"]
    assert _code(gateway, sender(CLOUD, HIP).build("2001", {})) == "0000"  # the 2nd of 2
    assert _code(gateway, sender(CLOUD, HIP).build("2001", {})) == "1008"
    assert backends[HIP].count == 2


def test_a_message_refused_for_its_limit_spends_its_nonce(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(rate_per_sender=1)
    assert _code(gateway, sender(CLOUD, HIP).build("2001", {})) == "0000"
    refused = sender(CLOUD, HIP).build("2001", {})
    assert [_code(gateway, refused) for _ in range(2)] == ["1008", "1005"]
    assert backends[HIP].count == 1


def test_a_message_refused_for_its_body_spends_its_nonce_and_a_replay_of_it_is_1005(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    malformed = sender(CLOUD, HIP).build("1001", {"id_card_no": 12})
    assert [_code(gateway, malformed) for _ in range(2)] == ["1009", "1005"]
    wrong_route = sender(CLOUD, HIP).build("6001", {"mrn": "M1", "report_id": "R", "kind": "LAB"})
    assert [_code(gateway, wrong_route) for _ in range(2)] == ["1007", "1005"]
    assert backends[HIP].count == 0


def test_the_nonce_is_checked_with_every_limit_off(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(rate_per_sender=0, rate_per_patient=0)
    envelope = sender(CLOUD, HIP).build("2001", {})
    assert [_code(gateway, envelope) for _ in range(2)] == ["0000", "1005"]
    assert backends[HIP].count == 1


def test_a_forged_replay_of_a_spent_nonce_is_1003_not_1005(
    gateway: FlaskClient, backends: dict[str, Backend]
) -> None:
    genuine = sender(CLOUD, HIP).build("2001", {})
    assert _code(gateway, genuine) == "0000"
    forged = {"header": {**genuine["header"], "sign": "0" * 64}, "body": genuine["body"]}
    assert _code(gateway, forged) == "1003"
