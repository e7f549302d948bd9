"""Test and operator helpers, unsigned: stored trades, notifications and fault injection."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from simulators.admin import ModelFaults, fault_blueprint
from simulators.admin import columns as _columns
from simulators.alipay.identities import user_id_of
from simulators.alipay.models import Fault, Grant, Notification, Refund, Trade
from simulators.alipay.state import Simulator, current

bp = Blueprint("sim", __name__, url_prefix="/sim")


def _fault_target(body: dict[str, Any]) -> dict[str, Any]:
    """The calls a fault matches: {"method"}, every call when empty."""
    return {"method": str(body.get("method") or "")}


def faults_blueprint(factory: sessionmaker[Session]) -> Blueprint:
    """/sim/faults: {"mode": delay|error|drop, "seconds", "count", "method"}."""
    return fault_blueprint(ModelFaults(factory, Fault, _fault_target))


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
