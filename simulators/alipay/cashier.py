"""The cashier page where a person or a test confirms or abandons a payment.

A wap.pay link (the merchant's signed ``gateway.do?...`` address) opens the trade and lands
here; ``POST /cashier/pay-link`` with that link as ``cashier_url`` does both steps and pays,
for a script or a README's curl. After paying, the page sends the browser to the signed
``return_url`` the merchant gave, as the real cashier does."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, Response, jsonify, render_template, request

from servicekit.db import transaction
from simulators.alipay import methods, notifier, trades
from simulators.alipay.models import Trade
from simulators.alipay.signing import (
    Platform,
    SignatureRejected,
    sign_notification,
    verify_request,
)
from simulators.alipay.state import current

bp = Blueprint("cashier", __name__, url_prefix="/cashier", template_folder="templates")
STATUS_DESC = {
    "WAIT_BUYER_PAY": "等待付款",
    "TRADE_SUCCESS": "支付成功",
    "TRADE_FINISHED": "交易完成",
    "TRADE_CLOSED": "交易关闭",
}


@bp.errorhandler(trades.TradeError)
def trade_error(exc: trades.TradeError) -> tuple[Response, int]:
    """A refusal as {"code", "sub_code", "sub_msg"}, unsigned (the payer's page)."""
    status = 404 if exc.sub_code == "ACQ.TRADE_NOT_EXIST" else 400
    return jsonify(code=exc.code, sub_code=exc.sub_code, sub_msg=exc.sub_msg), status


@bp.get("/<out_trade_no>")
def page(out_trade_no: str) -> str:
    """The trade's amount in yuan with 确认支付 / 放弃 buttons."""
    with transaction(current().factory) as session:
        trade = trades.find(session, out_trade_no)
    return render_template(
        "alipay_cashier.html",
        trade=trade,
        amount_yuan=trades.yuan(trade.amount_fen),
        status_desc=STATUS_DESC.get(trade.trade_status, trade.trade_status),
    )


def return_link(platform: Platform, trade: Trade) -> str:
    """The signed synchronous return the real cashier sends the browser back with."""
    if not trade.return_url:
        return ""
    fields = {
        "method": f"{trade.method}.return",
        "app_id": trade.app_id,
        "auth_app_id": trade.app_id,
        "charset": "utf-8",
        "version": "1.0",
        "timestamp": trades.now_text(),
        "out_trade_no": trade.out_trade_no,
        "trade_no": trade.trade_no,
        "total_amount": trades.yuan(trade.amount_fen),
        "seller_id": platform.seller_id,
    }
    separator = "&" if "?" in trade.return_url else "?"
    return trade.return_url + separator + urlencode(sign_notification(platform, fields))


@bp.post("/<out_trade_no>/pay")
def pay(out_trade_no: str) -> Response:
    """The payer confirms: TRADE_SUCCESS, and the notification is queued."""
    return _pay(out_trade_no)


@bp.post("/pay-link")
def pay_link() -> tuple[Response, int] | Response:
    """Open and pay the trade of a signed wap.pay / page.pay link (form field or JSON
    ``cashier_url``), checked as the gateway checks it; answers as /<out_trade_no>/pay."""
    body = request.get_json(silent=True)
    link = body.get("cashier_url") if isinstance(body, dict) else request.form.get("cashier_url")
    params = dict(parse_qsl(urlsplit(str(link or "")).query))
    sim = current()
    try:
        if params.get("method") not in methods.BROWSER:
            raise SignatureRejected(
                "40002", "Invalid Arguments", "isv.invalid-method", "不是手机网站支付的链接"
            )
        verify_request(sim.platform, params, sim.settings.max_timestamp_skew_seconds)
        biz = json.loads(params.get("biz_content") or "{}")
        if not isinstance(biz, dict):
            raise trades.TradeError("isv.invalid-parameter", "biz_content不是合法的JSON对象")
        methods.BROWSER[params["method"]](sim, params, biz)
    except SignatureRejected as exc:
        return jsonify(code=exc.code, sub_code=exc.sub_code, sub_msg=exc.sub_msg), 400
    except ValueError:
        return jsonify(code="40002", sub_code="isv.invalid-parameter", sub_msg="参数无效"), 400
    return _pay(str(biz.get("out_trade_no", "")))


def _pay(out_trade_no: str) -> Response:
    sim = current()
    with transaction(sim.factory) as session:
        trade = trades.find(session, out_trade_no)
        paid_now = trades.mark_paid(trade)
        if paid_now:
            notifier.enqueue(session, sim.platform, trade)
    sim.notifier.wake()
    return jsonify(
        trade_status=trade.trade_status,
        out_trade_no=trade.out_trade_no,
        return_url=return_link(sim.platform, trade),
    )


@bp.post("/<out_trade_no>/abandon")
def abandon(out_trade_no: str) -> Response:
    """The payer walks away: as with Alipay, the trade simply stays unpaid."""
    with transaction(current().factory) as session:
        trade = trades.find(session, out_trade_no)
    return jsonify(trade_status=trade.trade_status, out_trade_no=trade.out_trade_no)
