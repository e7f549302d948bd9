"""What insurance_frontend's handlers and staff commands work with, built once per process:
database, Redis, the center (through the ledger and today's sign-in), the HIS."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis as redis_lib
from sqlalchemy.exc import SQLAlchemyError

from envelope import HIP, INSFE, EnvelopeClient
from envelope.codes import EnvelopeError
from insurance_frontend.db import Database
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
from servicekit.redis_client import connect

log = logging.getLogger("insurance_frontend")


@dataclass(frozen=True)
class Deps:
    """The service's parts; nothing in them talks to a peer until called."""

    settings: Settings
    db: Database
    redis: Any
    ledger: Ledger
    signins: SignIns
    center: CenterCalls
    settlement: InsuranceSettlement
    reconciliation: Reconciliation


def build_deps(settings: Settings, hip: HipPort | None = None) -> Deps:
    """Make engines, clients and services for one process."""
    engine = make_engine(settings.database_url)
    factory, db = session_factory(engine), Database(engine)
    redis = connect(settings.redis_url)
    ledger = Ledger(factory, db)
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
        center, hip, Orders(db), ledger, redis, settings.order_lock_seconds
    )
    reconciliation = Reconciliation(factory, ledger, center, settings.mdtrtarea_admvs)
    return Deps(settings, db, redis, ledger, signins, center, settlement, reconciliation)


def sign_in_at_start(signins: SignIns) -> None:
    """Try to have today's sign_no; a center that is down only delays it to the next use."""
    try:
        signins.ensure()
    except (EnvelopeError, SQLAlchemyError, redis_lib.RedisError) as exc:
        log.warning("insurance sign-in at start-up failed, will retry on first use: %s", exc)
