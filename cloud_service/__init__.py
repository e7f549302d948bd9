"""cloud_service (Internet zone): patient API, orders and the settlement saga, payments."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from flask import Flask, jsonify
from limits.storage import RedisStorage

from cloud_service import web
from cloud_service.api import auth, bills, hospital_catalog, notify, orders, patients
from cloud_service.api import reconcile as reconcile_api
from cloud_service.api import registrations as registrations_api
from cloud_service.api import reports as reports_api
from cloud_service.api.context import refuse_unreadable_body
from cloud_service.api.spec import spec
from cloud_service.channels.alipay import AlipayChannel
from cloud_service.channels.wechat import WeChatPayChannel
from cloud_service.deps import Deps, Identity
from cloud_service.errors import CloudError, api_status
from cloud_service.hospital import GatewayHospital
from cloud_service.notices import notices_endpoint
from cloud_service.saga.clinic_stopped import refund_stopped_clinic
from cloud_service.settings import Settings
from cloud_service.slot_gate import SlotGate
from cloud_service.sms import AliyunSmsSender
from cloud_service.sms_codes import CodePolicy, SmsCodes
from cloud_service.tokens import TokenStore
from servicekit import logs, metrics, redis_client
from servicekit.db import make_engine, session_factory
from servicekit.web import StrictJSONProvider, install_common

log = logging.getLogger(__name__)


def build_deps(settings: Settings) -> Deps:
    """The service layer's dependencies for one process."""
    wechat = settings.wechat
    # the H5 / wap cashiers send the payer back to the order's result page
    result_url = f"{settings.public_url}/h5/result?order_no={{out_trade_no}}"
    channel = WeChatPayChannel(
        api_url=wechat.api_url,
        mchid=wechat.mchid,
        appid=wechat.appid,
        apiv3_key=wechat.apiv3_key,
        merchant_serial_no=wechat.merchant_serial_no,
        merchant_private_key=wechat.merchant_private_key,
        public_key_id=wechat.public_key_id,
        public_key=wechat.public_key,
        notify_url=f"{settings.public_url}/api/v1/notify/wechat",
        app_secret=wechat.app_secret,
        oauth_url=wechat.oauth_url,
        oauth_api_url=wechat.oauth_api_url,
        return_url=result_url,
    )
    alipay = AlipayChannel(
        api_url=settings.alipay.api_url,
        app_id=settings.alipay.app_id,
        app_private_key=settings.alipay.app_private_key,
        alipay_public_key=settings.alipay.alipay_public_key,
        notify_url=f"{settings.public_url}/api/v1/notify/alipay",
        return_url=result_url,
        seller_id=settings.alipay.seller_id,
        oauth_url=settings.alipay.oauth_url,
        jsbridge_script_url=settings.alipay.jsbridge_script_url,
    )
    return Deps(
        sessions=session_factory(make_engine(settings.database_url)),
        hospital=GatewayHospital(
            settings.gateway_url,
            settings.cloud_ring,
            settings.hospital_code,
            settings.gateway_timeout_seconds,
        ),
        channels={"WECHAT": channel, "ALIPAY": alipay},
        payment_window=timedelta(minutes=settings.payment_minutes),
        max_unpaid_locks=settings.max_unpaid_locks,
        slot_gate=(
            SlotGate(redis_client.connect_optional(settings.redis_url), settings.slot_gate_seconds)
            if settings.slot_gate_seconds > 0
            else None
        ),
    )


def build_identity(settings: Settings) -> Identity:
    """What signs patients in: codes and tokens on the cloud's Redis, and the SMS sender."""
    redis = redis_client.connect(settings.redis_url)
    storage = RedisStorage(
        settings.redis_url, connection_pool=redis.connection_pool, key_prefix="auth-limits",
        wrap_exceptions=True,
    )  # fmt: skip
    auth = settings.auth
    policy = CodePolicy(
        resend_seconds=auth.code_resend_seconds,
        per_phone_daily=auth.codes_per_phone_daily,
        per_address_hourly=auth.codes_per_address_hourly,
    )
    return Identity(
        codes=SmsCodes(redis, storage, settings.secret_key, policy),
        tokens=TokenStore(redis, auth.access_seconds, auth.refresh_days * 86400),
        pending=redis,
        sms=AliyunSmsSender(settings.sms),
    )


def create_app(config: Settings | None = None) -> Flask:
    """The cloud's WSGI app (gunicorn runs ``'cloud_service:create_app()'``)."""
    settings = config or Settings.from_env()
    logs.configure("cloud_service")
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["JSON_AS_ASCII"] = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes  # larger: 413 with 1001
    app.json = StrictJSONProvider(app)  # request bodies read as strictly as envelopes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    deps = replace(build_deps(settings), identity=build_identity(settings))
    app.extensions["cloud_deps"] = deps
    app.extensions["cloud_settings"] = settings
    for blueprint in (
        auth.bp,
        patients.bp,
        hospital_catalog.bp,
        orders.bp,
        registrations_api.bp,
        bills.bp,
        reports_api.bp,
        notify.bp,
    ):
        app.register_blueprint(blueprint)
    # 6xxx notices the intranet sends out through the gateway (6003 window refunds, ...)
    notices_endpoint(
        settings.cloud_ring,
        redis_client.connect(settings.redis_url),
        lambda: app.extensions["cloud_deps"],
        on_clinic_stopped=refund_stopped_clinic,
    ).install(app)
    app.register_blueprint(reconcile_api.blueprint(settings.ops_token))
    web.register(app)  # the patient H5 pages (/h5/) and the operations console (/console/)
    spec.register(app)
    install_common(app, "cloud_service")
    metrics.install_metrics(
        app,
        "cloud_service",
        collectors=[
            metrics.RowsByState(
                "cloud_saga_orders", "Orders by saga state.", deps.sessions, "orders"
            )
        ],
        # the cloud faces the Internet: only the hospital's Prometheus, with the token
        token=settings.metrics_token,
    )

    app.before_request(refuse_unreadable_body)

    @app.errorhandler(CloudError)
    def refused(exc: CloudError):  # type: ignore[no-untyped-def]
        return jsonify(result_code=exc.result_code, result_msg=exc.result_msg), api_status(
            exc.result_code
        )

    return app
