"""integration_platform: the HIS interfaces (accounts, clinics, registrations, bills,
reports) over the HIS database, answering envelopes at ``POST /envelope``."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import text

from envelope import HIP, EnvelopeEndpoint, Link, RedisNonceStore, Verifier
from integration_platform.database import reader_of
from integration_platform.deps import Deps
from integration_platform.settings import Settings
from servicekit import logs, metrics, redis_client, web
from servicekit.db import make_engine, session_factory

SERVICE = "integration_platform"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(config: Settings | None = None) -> Flask:
    """Build the app: its Deps (engine, sessions), the nonce store and the envelope endpoint."""
    from integration_platform.dispatch import bind_handlers

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
    deps = Deps(settings, engine, session_factory(engine), reader_of(engine))
    app.extensions[SERVICE] = deps  # for tools and tests; no module reads it back
    recorder = metrics.envelope_recorder(SERVICE)
    EnvelopeEndpoint(HIP, verifier, bind_handlers(deps), on_result=recorder).install(app)

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


__all__ = ["MIGRATIONS", "SERVICE", "Deps", "Settings", "create_app"]
