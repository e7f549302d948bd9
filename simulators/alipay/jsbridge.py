"""A stand-in for the Alipay app's JS bridge: GET /jsbridge.js defines window.AlipayJSBridge
whose call('tradePay', {tradeNO}, callback) shows an in-page cashier; confirming POSTs to
/jsapi/trade-pay, which pays the alipay.trade.create trade as the cashier page does (the
same asynchronous notification) and answers the callback's resultCode.

resultCode as Alipay's: 9000 paid, 6001 cancelled by the payer (in the page only), 4000
refused (unknown, closed or paid trade, another buyer), 6002 the simulator unreachable."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from sqlalchemy.orm import Session

from servicekit.db import transaction
from simulators.alipay import notifier, trades
from simulators.alipay.admin import take_fault
from simulators.alipay.identities import open_id_of
from simulators.alipay.models import Trade
from simulators.alipay.state import current

bp = Blueprint("jsbridge", __name__, template_folder="templates")
PAY_FAULT = "jsapi.tradePay"
# Only a trade opened for the Alipay app is paid through the bridge.
BRIDGE_METHODS = ("alipay.trade.create",)
TRADE_NO_SLOT = "__TRADE_NO__"  # the script puts the trade number here


def _cors(answer: Response) -> Response:
    """The bridge is called from the hospital's pages, another origin: allow any."""
    answer.headers["Access-Control-Allow-Origin"] = "*"
    answer.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    answer.headers["Access-Control-Allow-Headers"] = "Content-Type"
    answer.headers["Access-Control-Max-Age"] = "600"
    return answer


def _refused(status: int, sub_code: str, memo: str) -> Response:
    answer = jsonify(resultCode="4000", memo=memo, sub_code=sub_code)
    answer.status_code = status
    return _cors(answer)


@bp.errorhandler(trades.TradeError)
def trade_error(exc: trades.TradeError) -> Response:
    """A refusal as the bridge's callback reads it: resultCode 4000 and the reason."""
    status = 404 if exc.sub_code == "ACQ.TRADE_NOT_EXIST" else 409
    return _refused(status, exc.sub_code, exc.sub_msg)


@bp.get("/jsbridge.js")
def script() -> Response:
    """The bridge script; it calls this simulator back at its own address."""
    text = render_template(
        "alipay_jsbridge.js",
        pay_url=url_for("jsbridge.trade_pay", _external=True),
        trade_url=url_for("jsbridge.trade_view", trade_no=TRADE_NO_SLOT, _external=True),
    )
    return _cors(Response(text, mimetype="application/javascript"))


def _bridge_trade(session: Session, trade_no: str) -> Trade:
    """The alipay.trade.create trade of this trade_no; any other is unknown to the bridge."""
    trade = trades.find(session, trade_no=trade_no) if 0 < len(trade_no) <= 64 else None
    if trade is None or trade.method not in BRIDGE_METHODS:
        raise trades.TradeError("ACQ.TRADE_NOT_EXIST", "交易不存在")
    return trade


@bp.get("/jsapi/trades/<trade_no>")
def trade_view(trade_no: str) -> Response:
    """What the in-page cashier shows: subject, amount in yuan and the status."""
    with transaction(current().factory) as session:
        trade = _bridge_trade(session, trade_no)
    return _cors(
        jsonify(
            tradeNO=trade.trade_no,
            subject=trade.subject,
            total_amount=trades.yuan(trade.amount_fen),
            trade_status=trade.trade_status,
        )
    )


def _pay_request() -> dict[str, str]:
    """tradeNO and buyer_id from a JSON or form body (anything else names no trade)."""
    body: Any = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(body, dict):
        body = {}
    return {name: str(body.get(name) or "") for name in ("tradeNO", "buyer_id")}


def _check_buyer(trade: Trade, buyer: str) -> None:
    """A named buyer must be the trade's, by user_id or by the open_id of the trade's app."""
    if buyer and buyer not in (trade.buyer_user_id, open_id_of(trade.app_id, trade.buyer_user_id)):
        raise trades.TradeError("ACQ.TRADE_BUYER_NOT_MATCH", "交易买家不匹配")


def _pay(trade_no: str, buyer: str) -> Trade:
    """Pay the waiting trade and queue its notification, in one transaction."""
    sim = current()
    with transaction(sim.factory) as session:
        trade = _bridge_trade(session, trade_no)
        if trade.trade_status == "TRADE_CLOSED":
            raise trades.TradeError("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        if trade.trade_status != "WAIT_BUYER_PAY":
            raise trades.TradeError("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
        _check_buyer(trade, buyer)
        trades.mark_paid(trade)
        notifier.enqueue(session, sim.platform, trade)
    sim.notifier.wake()
    return trade


@bp.route("/jsapi/trade-pay", methods=["POST", "OPTIONS"])
def trade_pay() -> Response:
    """The payer confirmed in the bridge's cashier: {tradeNO, buyer_id?} -> resultCode."""
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    sim = current()
    fault = take_fault(sim, PAY_FAULT)
    if fault is not None and fault.mode == "error":
        return _refused(503, "isp.unknow-error", "系统繁忙，请稍后再试")
    if fault is not None and fault.mode == "delay":
        time.sleep(fault.seconds)
    wanted = _pay_request()
    trade = _pay(wanted["tradeNO"], wanted["buyer_id"])
    if fault is not None and fault.mode == "drop":
        time.sleep(fault.seconds)  # paid and notified; the answer comes too late
    return _cors(
        jsonify(
            resultCode="9000",
            memo="支付成功",
            tradeNO=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            total_amount=trades.yuan(trade.amount_fen),
        )
    )
