"""The insurance center simulator: the national platform's callService address, a policy
engine, insured persons with balances, and fault injection.

Run it as ``gunicorn 'simulators.insurance_center:create_app()'``; any number of workers
share its state through the database (CENTER_DATABASE_URL).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from servicekit.db import make_engine, session_factory, transaction
from servicekit.logs import configure
from servicekit.metrics import install_metrics
from servicekit.web import install_common
from simulators.db import relaxed_sync
from simulators.insurance_center.admin import admin_blueprint, faults_blueprint
from simulators.insurance_center.policy import load_policy
from simulators.insurance_center.service import Center
from simulators.insurance_center.settings import Settings
from simulators.insurance_center.store import Base, Docs, seed_persons

CALL_SERVICE_PATH = "/fsi/api/rsfComIfsService/callService"

__all__ = ["CALL_SERVICE_PATH", "Settings", "create_app"]


def create_app(config: Settings | None = None) -> Flask:
    """Build the simulator: its tables and seed persons, callService and the /sim endpoints."""
    settings = config or Settings.from_env()
    configure("insurance_center")
    engine = make_engine(settings.database_url)
    relaxed_sync(engine)
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        seed_persons(Docs(session))
    policy = load_policy()
    for insutype in policy.insutypes.values():
        insutype.pool_ratio(settings.hospital_level)  # a level policy.json lacks fails here
    center = Center(settings, factory, policy)
    app = Flask("insurance_center")
    app.config["CENTER"] = center
    install_common(app, "insurance_center")
    install_metrics(app, "insurance_center")

    @app.post(CALL_SERVICE_PATH)
    def call_service() -> tuple[Response, int]:
        status, answer = center.call(
            {k.lower(): v for k, v in request.headers.items()}, request.get_data(cache=False)
        )
        return jsonify(answer), status

    app.register_blueprint(admin_blueprint(factory))
    app.register_blueprint(faults_blueprint(factory))
    return app
