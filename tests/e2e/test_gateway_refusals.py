"""From the Internet side, forged, stale, replayed, unknown and misrouted envelopes are
refused at the gateway, and nothing reaches the services behind it."""

from __future__ import annotations

import json
from datetime import timedelta

import requests

from devstack.stack import Stack
from envelope import CLOUD, EnvelopeClient, KeyRing, clock
from envelope.signing import sign_envelope


def _client(stack: Stack, secret: str | None = None) -> EnvelopeClient:
    ring = KeyRing.from_settings(
        "CLOUD", stack.env["ENVELOPE_KEY_ID_CLOUD"], secret or stack.env["ENVELOPE_KEY_CLOUD"]
    )
    return EnvelopeClient(
        stack.env["GATEWAY_URL"],
        ring,
        sender=CLOUD,
        receiver="HIP",
        hospital_code=stack.env["HOSPITAL_CODE"],
    )


def _post(stack: Stack, envelope: dict) -> str:  # type: ignore[type-arg]
    answer = requests.post(
        stack.env["GATEWAY_URL"], timeout=10, data=json.dumps(envelope, ensure_ascii=False).encode()
    )
    return str(answer.json()["header"]["result_code"])


def test_every_forgery_is_refused_with_its_code_and_reaches_nothing(stack: Stack) -> None:
    good = _client(stack)
    key = stack.env["ENVELOPE_KEY_CLOUD"].encode()
    kid = stack.env["ENVELOPE_KEY_ID_CLOUD"]
    body = {"id_card_no": "110105198001010016", "name": "张伟"}

    tampered = good.build("1001", body)
    tampered["body"]["name"] = "李娜"
    wrong_key = _client(stack, "not-the-cloud-key").build("1001", body)
    stale = good.build("1001", body)
    stale["header"]["timestamp"] = clock.iso(clock.now() - timedelta(seconds=400))
    stale["header"] = sign_envelope(stale["header"], body, kid, key)
    replayed = good.build("1001", body)
    unknown = good.build("7001", {})
    sign_in = _client(stack).build("4001", {"operator": "attacker"})

    assert _post(stack, replayed) == "0000"  # the first time it is a good message
    cases = [
        (tampered, "1003"),
        (wrong_key, "1003"),
        (stale, "1004"),
        (replayed, "1005"),
        (unknown, "1006"),
        (sign_in, "1007"),
    ]
    results = [(_post(stack, envelope), expected) for envelope, expected in cases]
    assert [got for got, _ in results] == [expected for _, expected in results]

    behind = stack.log_path("integration_platform").read_text(errors="replace") + stack.log_path(
        "insurance_frontend"
    ).read_text(errors="replace")
    assert replayed["header"]["msg_id"] in behind  # proof the logs do show what arrives
    for envelope, expected in cases:
        if expected != "1005":  # the replay's msg_id did arrive once, the first time
            assert envelope["header"]["msg_id"] not in behind


def test_every_service_answers_its_health_check(stack: Stack) -> None:
    for name in (
        "cloud_service",
        "hospital_gateway",
        "integration_platform",
        "insurance_frontend",
        "insurance_center",
        "wechatpay",
        "alipay",
    ):
        assert requests.get(f"{stack.url(name)}/healthz", timeout=5).status_code == 200
