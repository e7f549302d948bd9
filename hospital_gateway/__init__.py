"""hospital_gateway (DMZ): the only door between the zones. It verifies every envelope,
checks its route, validates it, relays it re-signed for the next link and audits it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from redis import Redis, RedisError

from envelope.catalogue import CLOUD, GATEWAY, HIP, INSFE
from envelope.client import KeptAliveClient, Reply
from envelope.keys import KeyRing
from envelope.replay import RedisNonceStore
from envelope.verify import Link, Verifier
from envelope.wsgi import EnvelopeWSGI
from hospital_gateway.audit import AuditLog, audit_blueprint
from hospital_gateway.ratelimit import Limit, RateLimiter
from hospital_gateway.relay import PATH, Relay
from hospital_gateway.settings import Settings
from servicekit import logs, metrics, redis_client, web
from servicekit.db import make_engine

SERVICE = "hospital_gateway"
MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS", "SERVICE", "Deps", "ResultRecorder", "Settings", "create_app"]


@dataclass(frozen=True)
class Deps:
    """What the factory built, kept on ``app.extensions`` for tools and tests."""

    settings: Settings
    relay: Relay
    audit: AuditLog


class TimedClient(KeptAliveClient):
    """The client of one outbound link, timing how long the next zone takes to answer."""

    def __init__(self, url: str, ring: KeyRing, **kwargs: Any) -> None:
        super().__init__(url, ring, **kwargs)
        self._waits: dict[object, Any] = {}  # the histogram's child of each trade code

    def post(self, envelope: dict[str, Any]) -> Reply:
        """POST as ``KeptAliveClient.post`` does and observe the wait by trade code."""
        started = time.perf_counter()
        try:
            return super().post(envelope)
        finally:
            trade_code = envelope["header"].get("trade_code")
            wait = self._waits.get(trade_code)
            if wait is None:  # only admitted trade codes are relayed: a few dozen at most
                label = metrics.trade_code_label(trade_code)
                wait = self._waits[trade_code] = metrics.RELAY_LATENCY.labels(label, self.receiver)
            wait.observe(time.perf_counter() - started)


class ResultRecorder:
    """``on_result`` of the relay: metrics.record_envelope's counter and histogram, each
    label set's children looked up once (prometheus_client's labels() is not free)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._children: dict[tuple[object, str], tuple[Any, Any]] = {}

    def __call__(self, header: dict[str, Any], result_code: str, seconds: float) -> None:
        """Count one answer and observe its latency."""
        key = (header.get("trade_code"), result_code)
        children = self._children.get(key)
        if children is None:
            code = metrics.trade_code_label(key[0])
            children = self._children[key] = (
                metrics.ENVELOPES.labels(self.service, code, result_code),
                metrics.HOP_LATENCY.labels(self.service, code),
            )
        children[0].inc()
        children[1].observe(seconds)


def build_relay(settings: Settings, audit: AuditLog, redis: Redis) -> Relay:
    """The relay with its verifier (nonces in Redis) and one client per outbound link,
    each keeping one connection per thread to its peer."""
    # Each link accepts only its own sender: CLOUD on the CLOUD link, HIP on the HIP link...
    # The CLOUD link comes first: it signs refusals whose link is not proven.
    nonces = RedisNonceStore(redis, "gateway")
    verifier = Verifier(
        [Link(settings.ring(party), frozenset({party})) for party in (CLOUD, HIP, INSFE)], nonces
    )
    timeout = (settings.relay_connect_timeout, settings.relay_read_timeout)
    clients = {
        party: TimedClient(
            settings.envelope_url(party),
            settings.ring(party),
            sender=GATEWAY,
            receiver=party,
            hospital_code=settings.hospital_code,
            timeout=timeout,
        )
        for party in (CLOUD, HIP, INSFE)
    }
    return Relay(
        verifier=verifier,
        rings={p: settings.ring(p) for p in (CLOUD, HIP, INSFE)},
        clients=clients,
        audit=audit,
        hospital_code=settings.hospital_code,
        limiter=RateLimiter(
            redis,
            per_sender=Limit(settings.rate_per_sender, 1),
            per_patient=Limit(settings.rate_per_patient, 60),
            patient_key=settings.patient_key(),
        ),
        nonces=nonces,
        on_result=ResultRecorder(SERVICE),
    )


def _redis_answers(redis: Redis) -> bool:
    """True when the nonce store answers: without it no envelope can be accepted."""
    try:
        return bool(redis.ping())
    except RedisError:
        return False


def create_app(config: Settings | None = None) -> Flask:
    """The gateway's Flask app; settings from the environment unless given."""
    settings = config or Settings.from_env()
    logs.configure(SERVICE)
    app = Flask(SERVICE)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_envelope_bytes
    audit = AuditLog(make_engine(settings.database_url))
    redis = redis_client.connect(settings.redis_url)
    relay = build_relay(settings, audit, redis)
    app.register_blueprint(audit_blueprint(audit, settings.audit_token))
    web.install_common(app, SERVICE, health_check=lambda: _redis_answers(redis))
    metrics.install_metrics(app, SERVICE)
    # POST /gateway is answered before Flask sees it; everything else goes on to Flask.
    app.wsgi_app = EnvelopeWSGI(  # type: ignore[method-assign]
        PATH, relay.answer, lambda: settings.max_envelope_bytes, SERVICE, app.wsgi_app
    )
    app.extensions[SERVICE] = Deps(settings, relay, audit)
    return app
