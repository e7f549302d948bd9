"""What one simulator app holds: settings, keys, the database, the notifier and who WeChat
knows; the signed answers and the injected faults every blueprint shares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from simulators.db import any_row
from simulators.wechatpay.identities import Directory
from simulators.wechatpay.models import Fault
from simulators.wechatpay.notifier import Notifier
from simulators.wechatpay.settings import Settings
from simulators.wechatpay.signing import Platform, signed_headers

EXTENSION = "wechatpay_sim"


@dataclass
class Simulator:
    """The parts create_app builds and the views use."""

    settings: Settings
    platform: Platform
    factory: sessionmaker[Session]
    notifier: Notifier
    directory: Directory


def current() -> Simulator:
    """The simulator of the app handling this request."""
    simulator: Simulator = current_app.extensions[EXTENSION]
    return simulator


def signed_answer(platform: Platform, status: int, payload: dict[str, Any] | None) -> Response:
    """A JSON answer (or an empty 204) carrying the Wechatpay-* signature headers."""
    body = (
        b""
        if payload is None
        else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    )
    response = Response(body, status=status)
    if payload is not None:
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    else:
        response.headers.pop("Content-Type", None)
    response.headers.update(signed_headers(platform, body))
    return response


def error_answer(platform: Platform, status: int, code: str, message: str) -> Response:
    """The real API's error shape: {"code": ..., "message": ...}, signed."""
    return signed_answer(platform, status, {"code": code, "message": message})


def take_fault(path: str) -> Fault | None:
    """The first injected fault for this path with calls left, counted down by one."""
    factory = current().factory
    if not any_row(factory, f"SELECT 1 FROM {Fault.__tablename__} WHERE remaining > 0 LIMIT 1"):
        return None
    with transaction(factory) as session:
        for fault in session.scalars(select(Fault).order_by(Fault.id)):
            if path.startswith(fault.path_prefix) and fault.remaining > 0:
                fault.remaining -= 1
                return fault
    return None
