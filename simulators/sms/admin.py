"""Test and operator helpers, unsigned: the messages sent and fault injection."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import delete, select

from servicekit.db import transaction
from simulators.faults import fault_fields
from simulators.sms import messages
from simulators.sms.models import Fault
from simulators.sms.state import current

bp = Blueprint("admin", __name__)
_PHONE = re.compile(r"\d{11}")


def _columns(row: Any) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in row.__table__.columns}


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


@bp.post("/sim/faults")
def add_fault() -> tuple[Response, int]:
    """Inject a fault into the next SendSms calls: {"mode": delay|error|drop, "seconds",
    "count"}."""
    fault = Fault(**fault_fields(request.get_json(silent=True) or {}))
    with transaction(current().factory) as session:
        session.add(fault)
    return jsonify(_columns(fault)), 201


@bp.get("/sim/faults")
def list_faults() -> Response:
    """The faults still waiting for a call."""
    with current().factory() as session:
        faults = session.scalars(select(Fault).where(Fault.remaining > 0).order_by(Fault.id))
        return jsonify(faults=[_columns(fault) for fault in faults])


@bp.delete("/sim/faults")
def clear_faults() -> tuple[str, int]:
    """Remove every injected fault."""
    with transaction(current().factory) as session:
        session.execute(delete(Fault))
    return "", 204
