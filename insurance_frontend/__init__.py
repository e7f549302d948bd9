"""insurance_frontend: the hospital's side of the insurance private line (party INSFE).

Speaks the national message format to the insurance center, keeps the insurance ledger,
signs in daily (scheduler.py, a process of its own), and answers 4003 to 4009 (4001 and
4002 are staff commands, refused by envelope with 1007). gunicorn runs
``'insurance_frontend:create_app()'``.
"""

from __future__ import annotations

from flask import Flask

from envelope import CLOUD, INSFE, EnvelopeEndpoint, Link, Verifier
from envelope.replay import RedisNonceStore
from insurance_frontend.deps import Deps, build_deps, sign_in_at_start
from insurance_frontend.handlers import bind_handlers
from insurance_frontend.settings import Settings
from servicekit.logs import configure
from servicekit.metrics import envelope_recorder, install_metrics
from servicekit.web import install_common

__all__ = ["Deps", "Settings", "create_app"]


def create_app(config: Settings | None = None) -> Flask:
    """The insurance_frontend app: POST /envelope (4003-4009; 4001/4002 refused) and /healthz."""
    settings = config or Settings.from_env()
    configure("insurance_frontend")
    deps = build_deps(settings)
    verifier = Verifier(
        [Link(settings.insfe_ring, frozenset({CLOUD}))], RedisNonceStore(deps.redis, "insfe")
    )
    endpoint = EnvelopeEndpoint(
        INSFE, verifier, bind_handlers(deps), on_result=envelope_recorder("insurance_frontend")
    )
    app = Flask("insurance_frontend")
    app.extensions["insurance_frontend"] = deps
    install_common(app, "insurance_frontend")
    install_metrics(app, "insurance_frontend")
    endpoint.install(app)
    if settings.signin_at_start:
        sign_in_at_start(deps.signins)
    return app
