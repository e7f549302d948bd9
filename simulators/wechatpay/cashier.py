"""The cashier page where a person or a test confirms or abandons a payment.

H5 orders open it by their h5_url (with WeChat's ``redirect_url`` appended, where the page
sends the payer after paying); a Native code_url is "scanned" at /cashier/scan; a JSAPI
order's signed pay params (what WeixinJSBridge takes) are checked at /cashier/jsapi, which
answers the cashier page; the bridge stand-in (jsbridge.py) pays them in place instead."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from servicekit import money
from servicekit.db import transaction
from simulators.wechatpay import jsbridge, trades
from simulators.wechatpay.notifier import enqueue_success
from simulators.wechatpay.state import current

bp = Blueprint("cashier", __name__, url_prefix="/cashier", template_folder="templates")


@bp.errorhandler(trades.TradeError)
def trade_error(exc: trades.TradeError) -> tuple[Response, int]:
    """A refusal as {"code", "message"}, unsigned (the cashier is the payer's page)."""
    return jsonify(code=exc.code, message=exc.message), exc.status


def _redirect_url() -> str:
    """The merchant's return page from ``redirect_url``: only an http(s) address."""
    url = str(request.args.get("redirect_url") or "")
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


@bp.get("/<prepay_id>")
def page(prepay_id: str) -> str:
    """The order's amount in yuan with 确认支付 / 放弃 buttons; after paying, the browser
    goes to ``redirect_url`` when the merchant gave one."""
    with current().factory() as session:
        trade = trades.by_prepay_id(session, prepay_id)
    return render_template(
        "wechatpay_cashier.html",
        trade=trade,
        amount_yuan=money.fen_to_yuan(trade.amount_fen),
        state_desc=trades.STATE_DESC.get(trade.trade_state, trade.trade_state),
        redirect_url=_redirect_url(),
    )


@bp.post("/<prepay_id>/pay")
def pay(prepay_id: str) -> Response:
    """The payer confirms: the trade succeeds and its notification is queued."""
    sim = current()
    with transaction(sim.factory) as session:
        trade = trades.by_prepay_id(session, prepay_id)
        if trades.mark_paid(session, trade):
            enqueue_success(session, sim.platform, trade)
        state = trade.trade_state
    sim.notifier.wake()
    return jsonify(trade_state=state, out_trade_no=trade.out_trade_no)


@bp.post("/<prepay_id>/abandon")
def abandon(prepay_id: str) -> Response:
    """The payer walks away: as in WeChat, the order simply stays unpaid."""
    with current().factory() as session:
        trade = trades.by_prepay_id(session, prepay_id)
    return jsonify(trade_state=trade.trade_state, out_trade_no=trade.out_trade_no)


@bp.get("/scan")
def scan() -> BaseResponse:
    """What the payer's phone does with a scanned Native code_url: open its cashier page."""
    code_url = str(request.args.get("code_url") or "")
    if not code_url.startswith(trades.CODE_URL_PREFIX):
        raise trades.TradeError(400, "PARAM_ERROR", "不是微信支付的二维码")
    prepay_id = code_url[len(trades.CODE_URL_PREFIX) :]
    with current().factory() as session:
        trades.by_prepay_id(session, prepay_id)
    return redirect(url_for("cashier.page", prepay_id=prepay_id))


@bp.post("/jsapi")
def jsapi() -> Response:
    """getBrandWCPayRequest: check the merchant's paySign and answer the cashier page."""
    params = jsbridge.bridge_params(request.get_json(silent=True))
    if params["appId"] != current().settings.appid or not jsbridge.pay_sign_matches(params):
        raise trades.TradeError(400, "SIGN_ERROR", "支付验证签名失败")
    prepay_id = str(params.get("package", "")).removeprefix("prepay_id=")
    with current().factory() as session:
        trade = trades.by_prepay_id(session, prepay_id)
    url = url_for("cashier.page", prepay_id=prepay_id, _external=True)
    return jsonify(cashier_url=url, out_trade_no=trade.out_trade_no)
