"""integration_platform: the HIS interfaces (accounts, clinics, registrations, bills,
reports) over the HIS database, answering envelopes at ``POST /envelope``."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import text

from envelope import HIP, EnvelopeEndpoint, Link, RedisNonceStore, Verifier
from integration_platform.context import HipContext, install
from integration_platform.settings import Settings
from servicekit import logs, metrics, redis_client, web
from servicekit.db import make_engine, session_factory

SERVICE = "integration_platform"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Settings | None = None) -> Flask:
    """Build the app: database sessions, the nonce store and the envelope endpoint."""
    from integration_platform.dispatch import HANDLERS

    settings = config or Settings.from_env()
    logs.configure(SERVICE)
    engine = make_engine(settings.database_url)
    redis = redis_client.connect(settings.redis_url)
    verifier = Verifier(
        [
            Link(settings.hip_ring, frozenset({"CLOUD"})),
            Link(settings.insfe_hip_ring, frozenset({"INSFE"})),
        ],
        RedisNonceStore(redis, "hip"),
    )
    app = Flask(SERVICE)
    install(app, HipContext(settings=settings, sessions=session_factory(engine)))
    EnvelopeEndpoint(HIP, verifier, HANDLERS, on_result=metrics.envelope_recorder(SERVICE)).install(
        app
    )

    def healthy() -> bool:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    web.install_common(app, SERVICE, health_check=healthy)
    metrics.install_metrics(app, SERVICE)
    return app


__all__ = ["MIGRATIONS", "Settings", "create_app"]
