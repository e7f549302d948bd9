"""Wiring insurance_frontend together: database, Redis, the center, the HIS, the endpoint."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis as redis_lib
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from envelope import CLOUD, HIP, INSFE, EnvelopeClient, EnvelopeEndpoint, Link, Verifier
from envelope.codes import EnvelopeError
from envelope.replay import RedisNonceStore
from insurance_frontend.handlers import Services, bind_handlers
from insurance_frontend.hip import EnvelopeHip, HipPort
from insurance_frontend.insured import CenterCalls
from insurance_frontend.ledger import Ledger
from insurance_frontend.national import NationalClient
from insurance_frontend.orders import Orders
from insurance_frontend.reconcile import Reconciliation
from insurance_frontend.settings import Settings
from insurance_frontend.settlement import InsuranceSettlement
from insurance_frontend.signin import SignIns
from servicekit.db import make_engine, session_factory
from servicekit.logs import configure
from servicekit.metrics import envelope_recorder, install_metrics
from servicekit.redis_client import connect
from servicekit.web import install_common

log = logging.getLogger("insurance_frontend")


@dataclass(frozen=True)
class Components:
    """The service's parts, built once per process."""

    settings: Settings
    redis: Any
    ledger: Ledger
    signins: SignIns
    services: Services


def build(settings: Settings, hip: HipPort | None = None) -> Components:
    """Make engines, clients and services; nothing talks to a peer yet."""
    factory = session_factory(make_engine(settings.database_url))
    redis = connect(settings.redis_url)
    ledger = Ledger(factory)
    national = NationalClient(settings, ledger)
    signins = SignIns(factory, redis, national, settings.sign_valid_days)
    hip = hip or EnvelopeHip(
        EnvelopeClient(
            settings.hip_envelope_url,
            settings.insfe_hip_ring,
            sender=INSFE,
            receiver=HIP,
            hospital_code=settings.hospital_code,
        )
    )
    center = CenterCalls(national, signins)
    settlement = InsuranceSettlement(
        center, hip, Orders(factory), ledger, redis, settings.order_lock_seconds
    )
    reconciliation = Reconciliation(factory, ledger, center, settings.mdtrtarea_admvs)
    services = Services(center, settlement, reconciliation)
    return Components(settings, redis, ledger, signins, services)


def sign_in_at_start(signins: SignIns) -> None:
    """Try to have today's sign_no; a center that is down only delays it to the next use."""
    try:
        signins.ensure()
    except (EnvelopeError, SQLAlchemyError, redis_lib.RedisError) as exc:
        log.warning("insurance sign-in at start-up failed, will retry on first use: %s", exc)


def create_app(config: Settings | None = None) -> Flask:
    """The insurance_frontend app: POST /envelope (4003-4009; 4001/4002 refused) and /healthz."""
    settings = config or Settings.from_env()
    configure("insurance_frontend")
    parts = build(settings)
    verifier = Verifier(
        [Link(settings.insfe_ring, frozenset({CLOUD}))], RedisNonceStore(parts.redis, "insfe")
    )
    endpoint = EnvelopeEndpoint(
        INSFE,
        verifier,
        bind_handlers(parts.services),
        on_result=envelope_recorder("insurance_frontend"),
    )
    app = Flask("insurance_frontend")
    app.extensions["insurance_frontend"] = parts
    install_common(app, "insurance_frontend")
    install_metrics(app, "insurance_frontend")
    endpoint.install(app)
    if settings.signin_at_start:
        sign_in_at_start(parts.signins)
    return app
