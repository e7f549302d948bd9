"""Alipay open API sandbox: the one /gateway.do endpoint with RSA2-verified requests and
signed answers, a cashier page, and signed asynchronous notifications retried on the
real schedule; the service-window authorize page (auth_code for alipay.system.oauth.token)
and a stand-in for the Alipay app's JS bridge (AlipayJSBridge tradePay).

Run with gunicorn ``'simulators.alipay:create_app()'``; state lives in the database
(ALIPAY_SIM_DATABASE_URL), so any number of workers and threads agree.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from servicekit import logs, metrics, web
from servicekit.db import make_engine, session_factory
from simulators import cashier_page
from simulators.alipay import admin, bills, cashier, gateway, jsbridge, oauth
from simulators.alipay.models import Base
from simulators.alipay.notifier import Notifier
from simulators.alipay.settings import Settings
from simulators.alipay.signing import Platform, load_platform
from simulators.alipay.state import EXTENSION, Simulator
from simulators.db import relaxed_sync

log = logging.getLogger("simulators.alipay")
SERVICE = "alipay_sim"


def _platform(settings: Settings) -> Platform:
    return load_platform(
        private_pem=Path(settings.platform_private_key_path).read_bytes(),
        app_public_pem=Path(settings.app_public_key_path).read_bytes(),
        app_id=settings.app_id,
        seller_id=settings.seller_id,
        other_apps={app_id: Path(path).read_bytes() for app_id, path in settings.other_apps},
    )


def _install_errors(app: Flask) -> None:
    """Unknown paths and crashes answer in the gateway's shape, never with a stack trace."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        return jsonify(code="40004", msg=exc.name, sub_msg=exc.description or ""), status

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s", request.path)
        return jsonify(
            code="20000",
            msg="Service Currently Unavailable",
            sub_code="isp.unknow-error",
            sub_msg="系统繁忙",
        ), 500


def create_app(config: Settings | None = None) -> Flask:
    """Build the simulator; its notifier thread starts here, one per worker process."""
    settings = config or Settings.from_env(os.environ)
    logs.configure(SERVICE)
    app = Flask(__name__)
    engine = make_engine(settings.database_url)
    relaxed_sync(engine)
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    notifier = Notifier(factory, settings.notify_schedule)
    app.extensions[EXTENSION] = Simulator(settings, _platform(settings), factory, notifier)
    web.install_common(app, SERVICE)
    metrics.install_metrics(app, SERVICE)
    _install_errors(app)
    for blueprint in (gateway.bp, cashier.bp, bills.bp, admin.bp, oauth.bp, jsbridge.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(admin.faults_blueprint(factory))
    app.register_blueprint(cashier_page.templates)
    if settings.start_notifier:
        notifier.start()
    return app


__all__ = ["Settings", "create_app"]
