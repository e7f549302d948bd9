"""Test and operator helpers, unsigned: stored trades, refunds, notifications, fault
injection (also on /connect/ and /sns/), the test WeChat users with their openids, and an
operator's say over a refund's outcome."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from simulators.admin import ModelFaults, fault_blueprint
from simulators.admin import columns as _columns
from simulators.wechatpay import refunds
from simulators.wechatpay.models import Fault, Notification, Refund, Trade
from simulators.wechatpay.state import current

bp = Blueprint("sim", __name__, url_prefix="/sim")


def _fault_target(body: dict[str, Any]) -> dict[str, Any]:
    """The paths a fault matches: {"path_prefix"}, the v3 API by default."""
    return {"path_prefix": str(body.get("path_prefix") or "/v3/")}


def faults_blueprint(factory: sessionmaker[Session]) -> Blueprint:
    """/sim/faults: {"mode": delay|error|drop, "seconds", "count", "path_prefix"}."""
    return fault_blueprint(ModelFaults(factory, Fault, _fault_target))


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
