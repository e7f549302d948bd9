"""Helpers of the gateway integration tests: link keys, fake backends that count what
reaches them, and building and posting envelopes as the cloud or the hospital would."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request
from flask.testing import FlaskClient
from redis import Redis

from envelope import CLOUD, HIP, INSFE, EnvelopeClient, EnvelopeError, KeyRing
from envelope.replay import MemoryNonceStore
from envelope.server import EnvelopeEndpoint, Handler, Incoming
from envelope.verify import Link, Verifier

HOSPITAL = "H00001"
AUDIT_TOKEN = "test-audit-token"
SLOW_SECONDS = 1.5  # how long the slow HIP handler hangs; the gateway waits 0.5 s
ID_CARD_NO = "110105198001010016"
NAME = "张伟"

RINGS = {
    CLOUD: KeyRing.from_settings(CLOUD, "cloud-test-1", "test-cloud-link-secret"),
    HIP: KeyRing.from_settings(HIP, "hip-test-1", "test-gateway-hip-secret"),
    INSFE: KeyRing.from_settings(INSFE, "insfe-test-1", "test-gateway-insfe-secret"),
}


@dataclass
class Backend:
    """A fake service behind (or in front of) the gateway that counts what it receives."""

    party: str
    ring: KeyRing
    senders: frozenset[str]
    handlers: dict[str, Handler]
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    results: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many HTTP requests reached this backend."""
        return len(self.received)

    def app(self) -> Flask:
        """A Flask app serving POST /envelope, verifying with this backend's link key."""
        verifier = Verifier([Link(self.ring, self.senders)], MemoryNonceStore())
        endpoint = EnvelopeEndpoint(
            self.party,
            verifier,
            self.handlers,
            on_result=lambda _h, code, _s: self.results.append(code),
        )
        app = Flask(f"fake_{self.party}")
        app.register_blueprint(endpoint.blueprint())

        @app.before_request
        def count() -> None:
            self.received.append(request.get_json(force=True, silent=True) or {})

        return app


def patient_query(incoming: Incoming) -> dict[str, Any]:
    if incoming.body["id_card_no"] != ID_CARD_NO:
        raise EnvelopeError("2001", "patient not found")
    return {
        "exists": True,
        "patient_id": "P0001",
        "mrn": "M0001",
        "patient_type": "EMPLOYEE",
        "insured": True,
        "phone": "13800000000",
    }


def slow_patient_info(incoming: Incoming) -> dict[str, Any]:
    time.sleep(SLOW_SECONDS)
    return {"mrn": incoming.body["mrn"]}


def sender(party: str, receiver: str, ring: KeyRing | None = None) -> EnvelopeClient:
    """An envelope builder for a party sending through the gateway (never posts itself)."""
    return EnvelopeClient(
        "http://unused.invalid/gateway",
        ring or RINGS[party],
        sender=party,
        receiver=receiver,
        hospital_code=HOSPITAL,
    )


def post(gateway: FlaskClient, envelope: dict[str, Any] | bytes) -> tuple[int, dict[str, Any]]:
    """POST an envelope (or raw bytes) to /gateway; return the HTTP status and the answer."""
    data = (
        envelope
        if isinstance(envelope, bytes)
        else json.dumps(envelope, ensure_ascii=False).encode("utf-8")
    )
    response = gateway.post("/gateway", data=data, content_type="application/json")
    return response.status_code, response.get_json()


def audit_of(gateway: FlaskClient, trace_id: str) -> list[dict[str, Any]]:
    """The gateway's audit rows of one trace, read through GET /audit."""
    response = gateway.get(
        f"/audit?trace_id={trace_id}", headers={"Authorization": f"Bearer {AUDIT_TOKEN}"}
    )
    assert response.status_code == 200
    return list(response.get_json()["records"])


def clear_rate_limits(redis_url: str) -> None:
    """Forget every rate-limit counter in the test Redis."""
    client = Redis.from_url(redis_url)
    keys = list(client.scan_iter("ratelimit:*"))
    if keys:
        client.delete(*keys)
    client.close()
