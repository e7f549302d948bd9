"""Test and operator helpers, unsigned: stored trades, notifications and fault injection."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import delete, or_, select

from servicekit.db import transaction
from simulators.alipay.identities import user_id_of
from simulators.alipay.models import Fault, Grant, Notification, Refund, Trade
from simulators.alipay.state import Simulator, current
from simulators.faults import fault_fields

bp = Blueprint("sim", __name__, url_prefix="/sim")


def _columns(row: Any) -> dict[str, Any]:
    return {column.name: getattr(row, column.name) for column in row.__table__.columns}


def take_fault(sim: Simulator, method: str) -> Fault | None:
    """The next injected fault for ``method`` (a gateway method, "oauth2.publicAppAuthorize"
    or "jsapi.tradePay"; "" matches all), counted down by one."""
    with transaction(sim.factory) as session:
        query = select(Fault).where(
            Fault.remaining > 0, or_(Fault.method == "", Fault.method == method)
        )
        fault = session.scalars(query.order_by(Fault.id)).first()
        if fault is not None:
            fault.remaining -= 1
        return fault


@bp.get("/users")
def users() -> Response:
    """The test Alipay users with their user_id and, per app they authorized, the open_id."""
    sim = current()
    with sim.factory() as session:
        grants = list(session.scalars(select(Grant).order_by(Grant.granted_at)))
    listed = []
    for name in sim.settings.users:
        user_id = user_id_of(name)
        apps = {g.app_id: g.open_id for g in grants if g.user_id == user_id}
        listed.append({"name": name, "user_id": user_id, "open_ids": apps})
    return jsonify(users=listed)


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
