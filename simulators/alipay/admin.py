"""Test and operator helpers, unsigned: stored trades, notifications and fault injection."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import delete, select

from servicekit.db import transaction
from simulators.alipay.models import Fault, Notification, Refund, Trade
from simulators.alipay.state import current
from simulators.faults import fault_fields

bp = Blueprint("sim", __name__, url_prefix="/sim")


def _columns(row: Any) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in row.__table__.columns}


@bp.get("/trades/<out_trade_no>")
def stored_trade(out_trade_no: str) -> Response:
    """The stored trade with its refunds and its notifications' delivery state."""
    with current().factory() as session:
        trade = session.get(Trade, out_trade_no)
        if trade is None:
            abort(404, "no such trade")
        refunds = session.scalars(select(Refund).where(Refund.out_trade_no == out_trade_no))
        notes = session.scalars(
            select(Notification).where(Notification.out_trade_no == out_trade_no)
        )
        answer = _columns(trade)
        answer["refunds"] = [_columns(r) for r in refunds]
        answer["notifications"] = [
            {k: v for k, v in _columns(n).items() if k != "form"} for n in notes
        ]
    return jsonify(answer)


@bp.post("/faults")
def add_fault() -> tuple[Response, int]:
    """Inject a fault: {"mode": delay|error|drop, "seconds", "count", "method"}."""
    body = request.get_json(silent=True) or {}
    fault = Fault(method=str(body.get("method") or ""), **fault_fields(body))
    with transaction(current().factory) as session:
        session.add(fault)
    return jsonify(_columns(fault)), 201


@bp.delete("/faults")
def clear_faults() -> tuple[str, int]:
    """Remove every injected fault."""
    with transaction(current().factory) as session:
        session.execute(delete(Fault))
    return "", 204
