"""SMS gateway sandbox with Alibaba Cloud SMS ``SendSms`` semantics: RPC requests signed
with the access key (HMAC-SHA1, signature version 1.0) verified, the vendor's refusals
and flow control, fault injection, and a page listing what was sent.

Run with gunicorn ``'simulators.sms:create_app()'``; state lives in the database
(SMS_SIM_DATABASE_URL), so any number of workers and threads agree.
"""

from __future__ import annotations

import logging
import os

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from servicekit import logs, metrics, web
from servicekit.db import make_engine, session_factory
from simulators.db import relaxed_sync
from simulators.sms import admin, api, pages
from simulators.sms.models import Base
from simulators.sms.refusals import PLATFORM
from simulators.sms.settings import Settings
from simulators.sms.state import EXTENSION, Simulator, platform_error

log = logging.getLogger("simulators.sms")
SERVICE = "sms_sim"


def _install_errors(app: Flask) -> None:
    """Unknown paths and crashes answer in the gateway's shape, never with a stack trace."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if request.path.startswith(("/admin/", "/sim/")):
            code, message = web.http_refusal(exc)  # the project's shape for helpers
            response = jsonify(result_code=code, result_msg=message)
            response.status_code = status
            return response
        return platform_error(status, exc.name.replace(" ", ""), exc.description or exc.name)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.path)
        return platform_error(500, "InternalError", PLATFORM["InternalError"][1])


def create_app(config: Settings | None = None) -> Flask:
    """Build the simulator."""
    settings = config or Settings.from_env(os.environ)
    logs.configure(SERVICE)
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    engine = make_engine(settings.database_url)
    relaxed_sync(engine)
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    app.extensions[EXTENSION] = Simulator(settings, factory)
    web.install_common(app, SERVICE)
    metrics.install_metrics(app, SERVICE)
    _install_errors(app)
    for blueprint in (api.bp, pages.bp, admin.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(admin.faults_blueprint(factory))
    return app


__all__ = ["Settings", "create_app"]
