"""What one simulator app holds: settings and the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify
from sqlalchemy.orm import Session, sessionmaker

from simulators.sms.settings import Settings

EXTENSION = "sms_sim"
HOST_ID = "dysmsapi.aliyuncs.com"


@dataclass
class Simulator:
    """The parts create_app builds and the views use."""

    settings: Settings
    factory: sessionmaker[Session]


def current() -> Simulator:
    """The simulator of the app handling this request."""
    simulator: Simulator = current_app.extensions[EXTENSION]
    return simulator


def request_id() -> str:
    """A RequestId in the vendor's shape (an upper-case UUID)."""
    return str(uuid.uuid4()).upper()


def answer(status: int, payload: dict[str, Any]) -> Response:
    """A JSON answer carrying a RequestId, as every answer of the gateway does."""
    response = jsonify({"RequestId": request_id(), **payload})
    response.status_code = status
    return response


def platform_error(status: int, code: str, message: str) -> Response:
    """A platform refusal: the vendor adds HostId and a troubleshooting link."""
    return answer(
        status,
        {
            "HostId": HOST_ID,
            "Code": code,
            "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi",
        },
    )
