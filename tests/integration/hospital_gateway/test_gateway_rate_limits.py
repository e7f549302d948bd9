"""Rate limits in Redis (1008, HTTP 429), per sender and per patient, and the size limit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from redis import Redis

from envelope import CLOUD, HIP, INSFE
from envelope.codes import EnvelopeError
from hospital_gateway.ratelimit import Limit, RateLimiter
from tests.integration.hospital_gateway.gateway_support import (
    ID_CARD_NO,
    NAME,
    Backend,
    audit_of,
    post,
    sender,
)

OTHER_ID_CARD_NO = "310101199206150027"


def _codes(gateway: FlaskClient, bodies: list[tuple[str, str, dict[str, str]]]) -> list[str]:
    return [
        post(gateway, sender(CLOUD, receiver).build(code, body))[1]["header"]["result_code"]
        for code, receiver, body in bodies
    ]


def test_sender_over_its_limit_gets_1008_with_http_429_and_nothing_is_relayed(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(rate_per_sender=3)
    answers = [post(gateway, sender(CLOUD, HIP).build("2001", {})) for _ in range(5)]
    assert [a[1]["header"]["result_code"] for a in answers] == ["0000"] * 3 + ["1008"] * 2
    status, refused = answers[-1]
    assert status == 429 and "from CLOUD" in refused["header"]["result_msg"]
    assert backends[HIP].count == 3
    trace_id = refused["header"]["trace_id"]
    assert [(r["direction"], r["result_code"]) for r in audit_of(gateway, trace_id)] == [
        ("IN", "1008")
    ]


def test_limits_are_shared_by_every_worker_through_redis(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    workers = [make_gateway(rate_per_sender=4) for _ in range(2)]
    results = [
        post(workers[n % 2], sender(CLOUD, HIP).build("2001", {}))[1]["header"]["result_code"]
        for n in range(6)
    ]
    assert results.count("0000") == 4 and results.count("1008") == 2


def test_one_patient_over_the_limit_is_refused_while_another_passes(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(rate_per_patient=2)
    same = ("1001", HIP, {"id_card_no": ID_CARD_NO, "name": NAME})
    insured = ("4003", INSFE, {"id_card_no": ID_CARD_NO, "name": NAME})
    other = ("1001", HIP, {"id_card_no": OTHER_ID_CARD_NO, "name": "李娜"})
    assert _codes(gateway, [same, insured, same, other]) == ["0000", "0000", "1008", "2001"]


def test_patient_named_by_record_number_is_limited_too(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(rate_per_patient=1)
    bill = ("3001", HIP, {"mrn": "M0001"})
    assert _codes(gateway, [bill, bill])[1] == "1008"


def test_redis_never_holds_a_patient_in_clear(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend], redis_url: str
) -> None:
    gateway = make_gateway(rate_per_patient=50)
    _codes(gateway, [("1001", HIP, {"id_card_no": ID_CARD_NO, "name": NAME})])
    _codes(gateway, [("3001", HIP, {"mrn": "M0001"})])
    keys = [str(k) for k in Redis.from_url(redis_url, decode_responses=True).keys("ratelimit:*")]
    assert any(":patient:" in k for k in keys)
    assert not any(ID_CARD_NO in k or "M0001" in k for k in keys)


def test_hospital_notices_count_against_the_sender_only(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(rate_per_patient=1)
    body = {"mrn": "M0001", "report_id": "R1", "kind": "LAB"}
    results = [
        post(gateway, sender(HIP, CLOUD).build("6001", body))[1]["header"]["result_code"]
        for _ in range(3)
    ]
    assert results == ["0000"] * 3


def test_zero_turns_a_limit_off(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(rate_per_sender=0, rate_per_patient=0)
    bill = ("3001", HIP, {"mrn": "M0001"})
    assert "1008" not in _codes(gateway, [bill] * 10)


def test_envelope_over_the_size_limit_is_refused_naming_the_limit(
    make_gateway: Callable[..., FlaskClient], backends: dict[str, Backend]
) -> None:
    gateway = make_gateway(max_envelope_bytes=4096)
    envelope = sender(CLOUD, HIP).build("2001", {"pad": "x" * 5000})
    status, answer = post(gateway, json.dumps(envelope).encode())
    assert (status, answer["header"]["result_code"]) == (400, "1001")
    assert "最多 4096 字节" in answer["header"]["result_msg"]
    assert backends[HIP].count == 0


class Clock:
    """A settable clock for the limiter."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_no_counter_outlives_two_windows(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    clock = Clock(60 * 16_667 + 20.0)  # 20 s into a minute window
    limiter = RateLimiter(
        redis,
        per_sender=Limit(0, 1),
        per_patient=Limit(10, 60),
        patient_key=b"k" * 32,
        prefix=f"ratelimit:test:{uuid.uuid4().hex}",
        clock=clock,
    )
    head, body = {"sender": CLOUD}, {"mrn": "M-SLIDE"}
    for _ in range(10):
        limiter.check(head, body)
    with pytest.raises(EnvelopeError) as refused:
        limiter.check(head, body)  # the 11th in the window
    assert refused.value.result_code == "1008" and "about one patient" in refused.value.result_msg
    counters = redis.keys(f"{limiter._prefix}:*")
    assert len(counters) == 1 and 0 < redis.ttl(counters[0]) <= 120
    # 45 s into the next window the 11 counted before weigh 11 x 0.25: 7 pass, the 8th not.
    clock.now += 85
    codes = []
    for _ in range(8):
        try:
            limiter.check(head, body)
            codes.append("0000")
        except EnvelopeError as exc:
            codes.append(exc.result_code)
    assert codes == ["0000"] * 7 + ["1008"]
