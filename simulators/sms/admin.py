"""Test and operator helpers, unsigned: the messages sent and fault injection."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy.orm import Session, sessionmaker

from simulators.admin import ModelFaults, fault_blueprint
from simulators.sms import messages
from simulators.sms.models import Fault
from simulators.sms.state import current

bp = Blueprint("admin", __name__)
_PHONE = re.compile(r"\d{11}")


def faults_blueprint(factory: sessionmaker[Session]) -> Blueprint:
    """/sim/faults for the next SendSms calls: {"mode": delay|error|drop, "seconds", "count"}."""
    return fault_blueprint(ModelFaults(factory, Fault))


@bp.get("/admin/messages")
def list_messages() -> Response:
    """{messages: [{phone, template_code, params, sent_at}]}, newest last (``?phone=``)."""
    phone = request.args.get("phone", "").strip()
    if phone and not _PHONE.fullmatch(phone):
        abort(400, "手机号须为11位数字")
    rows = messages.listed(current().factory, phone)
    return jsonify(messages=[messages.as_json(row) for row in reversed(rows)])


@bp.delete("/admin/messages")
def clear_messages() -> tuple[str, int]:
    """Forget every message sent (the flow control starts afresh)."""
    messages.clear(current().factory)
    return "", 204
