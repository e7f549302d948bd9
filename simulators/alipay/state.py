"""What one simulator app holds: settings, keys, the database and the notifier."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

from simulators.alipay.notifier import Notifier
from simulators.alipay.settings import Settings
from simulators.alipay.signing import Platform

EXTENSION = "alipay_sim"


@dataclass
class Simulator:
    """The parts create_app builds and the views use."""

    settings: Settings
    platform: Platform
    factory: sessionmaker[Session]
    notifier: Notifier


def current() -> Simulator:
    """The simulator of the app handling this request."""
    simulator: Simulator = current_app.extensions[EXTENSION]
    return simulator
