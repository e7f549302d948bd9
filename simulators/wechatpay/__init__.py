"""WeChat Pay API v3 sandbox: signed orders, query and close, refunds, the trade bill, a
cashier page, and signed, encrypted notifications retried on the real schedule; with the
official account's web authorization (OAuth2 snsapi_base) and the in-app JS bridge
(WeixinJSBridge getBrandWCPayRequest) for paying inside WeChat.

Run with gunicorn ``'simulators.wechatpay:create_app()'``; state lives in the database
(WECHATPAY_SIM_DATABASE_URL), so any number of workers and threads agree.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from servicekit import logs, metrics, web
from servicekit.db import make_engine, session_factory
from simulators import cashier_page
from simulators.db import relaxed_sync
from simulators.wechatpay import admin, api, cashier, jsbridge, oauth, refunds
from simulators.wechatpay.identities import Directory
from simulators.wechatpay.models import Base
from simulators.wechatpay.notifier import Notifier
from simulators.wechatpay.settings import Settings
from simulators.wechatpay.signing import Platform, load_platform
from simulators.wechatpay.state import EXTENSION, Simulator, error_answer

log = logging.getLogger("simulators.wechatpay")
SERVICE = "wechatpay_sim"
_HTTP_CODES = {
    400: "PARAM_ERROR",
    401: "SIGN_ERROR",
    404: "RESOURCE_NOT_EXISTS",
    405: "INVALID_REQUEST",
    429: "FREQUENCY_LIMITED",
}


def _platform(settings: Settings) -> Platform:
    return load_platform(
        private_pem=Path(settings.platform_private_key_path).read_bytes(),
        public_key_id=settings.public_key_id,
        merchant_public_pem=Path(settings.merchant_public_key_path).read_bytes(),
        mchid=settings.mchid,
        merchant_serial_no=settings.merchant_serial_no,
        apiv3_key=settings.apiv3_key,
    )


def _install_errors(app: Flask, platform: Platform) -> None:
    """Errors in the real API's shape {"code", "message"}, signed under /v3."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "SYSTEM_ERROR")
        return error_answer(platform, status, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.path)
        return error_answer(platform, 500, "SYSTEM_ERROR", "系统异常，请稍后重试")


def create_app(config: Settings | None = None) -> Flask:
    """Build the simulator; its notifier thread starts here, one per worker process."""
    settings = config or Settings.from_env(os.environ)
    logs.configure(SERVICE)
    app = Flask(__name__)
    platform = _platform(settings)
    engine = make_engine(settings.database_url)
    relaxed_sync(engine)
    Base.metadata.create_all(engine)
    factory = session_factory(engine)
    notifier = Notifier(
        factory,
        platform,
        settings.notify_schedule,
        tasks=(lambda: refunds.settle_due(factory, platform),),
    )
    app.extensions[EXTENSION] = Simulator(
        settings, platform, factory, notifier, Directory.from_settings(settings)
    )
    web.install_common(app, SERVICE)
    metrics.install_metrics(app, SERVICE)
    _install_errors(app, platform)
    app.register_blueprint(api.bp)
    app.register_blueprint(cashier.bp)
    app.register_blueprint(cashier_page.templates)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin.faults_blueprint(factory))
    app.register_blueprint(oauth.bp)
    app.register_blueprint(jsbridge.bp)
    if settings.start_notifier:
        notifier.start()
    return app


__all__ = ["Settings", "create_app"]
