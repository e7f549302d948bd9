"""Test and operator helpers, unsigned: stored trades, refunds, notifications, fault
injection (also on /connect/ and /sns/), the test WeChat users with their openids, and an
operator's say over a refund's outcome."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import delete, select

from servicekit.db import transaction
from simulators.faults import fault_fields
from simulators.wechatpay import refunds
from simulators.wechatpay.models import Fault, Notification, Refund, Trade
from simulators.wechatpay.state import current

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
        notes = session.scalars(
            select(Notification).where(Notification.out_trade_no == out_trade_no)
        ).all()
        answer = _columns(trade)
        answer["notifications"] = [
            {k: v for k, v in _columns(n).items() if k != "body"} for n in notes
        ]
        answer["refunds"] = [
            _columns(r)
            for r in session.scalars(select(Refund).where(Refund.out_trade_no == out_trade_no))
        ]
    return jsonify(answer)


@bp.get("/oauth/users")
def oauth_users() -> Response:
    """The test WeChat users and their openid under ``appid`` (our account by default)."""
    sim = current()
    appid = str(request.args.get("appid") or sim.settings.appid)
    if appid not in sim.directory.apps:
        abort(404, "no such appid")
    users = [{"name": u, "openid": sim.directory.openid(appid, u)} for u in sim.directory.users]
    return jsonify(appid=appid, users=users)


@bp.post("/faults")
def add_fault() -> tuple[Response, int]:
    """Inject a fault: {"mode": delay|error|drop, "seconds", "count", "path_prefix"}."""
    body = request.get_json(silent=True) or {}
    fault = Fault(path_prefix=str(body.get("path_prefix") or "/v3/"), **fault_fields(body))
    with transaction(current().factory) as session:
        session.add(fault)
    return jsonify(_columns(fault)), 201


@bp.delete("/faults")
def clear_faults() -> tuple[str, int]:
    """Remove every injected fault."""
    with transaction(current().factory) as session:
        session.execute(delete(Fault))
    return "", 204


@bp.post("/refunds/<out_refund_no>")
def decide_refund(out_refund_no: str) -> Response:
    """Decide a PROCESSING refund: {"status": SUCCESS|ABNORMAL|CLOSED}, or PROCESSING to hold
    it there (it then never settles by itself)."""
    sim = current()
    status = (request.get_json(silent=True) or {}).get("status")
    if status not in refunds.STATUSES:
        abort(400, f"status must be one of {refunds.STATUSES}")
    with transaction(sim.factory) as session:
        refund = session.get(Refund, out_refund_no)
        if refund is None:
            abort(404, "no such refund")
        if status == "PROCESSING" and refund.status == "PROCESSING":
            refund.settle_at = refunds.HELD
        elif status != "PROCESSING":
            refunds.finish(session, sim.platform, refund, status)
        answer = _columns(refund)
    sim.notifier.wake()
    return jsonify(answer)
