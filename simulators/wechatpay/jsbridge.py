"""The stand-in for WeChat's in-app JS bridge (WeixinJSBridge) and what it talks to.

``GET /jsbridge.js`` defines ``window.WeixinJSBridge.invoke('getBrandWCPayRequest', params,
callback)`` and fires ``WeixinJSBridgeReady``; the script shows the order's amount
(``GET /jsapi/order``) with 确认支付 / 取消 and on confirm posts the params to
``POST /jsapi/confirm``. A test without a browser posts them there itself. The confirm
verifies paySign with the merchant's public key, checks the prepay is a JSAPI order of
that appId and unpaid, then pays it as the cashier's 确认支付 does (same notification);
answers carry the callback's ``err_msg``. Both JSON endpoints allow any origin (CORS): the
patient's page lives on the cloud's origin, not the simulator's."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from servicekit import money
from servicekit.db import transaction
from simulators.wechatpay import trades
from simulators.wechatpay.notifier import enqueue_success
from simulators.wechatpay.state import current

bp = Blueprint("jsbridge", __name__, template_folder="templates")
PAY = "get_brand_wcpay_request"
FIELDS = ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign")
# WeChat's limits on the fields (JSAPI调起支付): string(32), package 128, paySign 512.
LIMITS = {"appId": 32, "timeStamp": 32, "nonceStr": 32, "package": 128, "paySign": 512}
PACKAGE_PREFIX = "prepay_id="


@bp.after_request
def allow_any_origin(response: Response) -> Response:
    """CORS: the bridge runs on the merchant's page, whatever its origin."""
    response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin") or "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    response.headers["Vary"] = "Origin"
    return response


@bp.errorhandler(trades.TradeError)
def refused(exc: trades.TradeError) -> tuple[Response, int]:
    """A refusal as the callback sees it (:fail), with the code and the Chinese reason."""
    body = {"err_msg": f"{PAY}:fail", "code": exc.code, "message": exc.message}
    return jsonify(body), exc.status


@bp.get("/jsbridge.js")
def script() -> Response:
    """The WeixinJSBridge stand-in, pointed at this simulator."""
    text = render_template(
        "wechatpay_jsbridge.js",
        order_url=url_for("jsbridge.order", _external=True),
        confirm_url=url_for("jsbridge.confirm", _external=True),
    )
    response = Response(text, content_type="application/javascript; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _prepay_id(package: str) -> str:
    if not package.startswith(PACKAGE_PREFIX) or len(package) == len(PACKAGE_PREFIX):
        raise trades.TradeError(400, "PARAM_ERROR", "package 格式应为 prepay_id=***")
    return package[len(PACKAGE_PREFIX) :]


@bp.get("/jsapi/order")
def order() -> Response:
    """What the bridge's overlay shows for a package: the description and the amount."""
    prepay_id = _prepay_id(str(request.args.get("package") or ""))
    with current().factory() as session:
        trade = trades.by_prepay_id(session, prepay_id)
    return jsonify(
        description=trade.description,
        amount_fen=trade.amount_fen,
        amount_yuan=money.fen_to_yuan(trade.amount_fen),
        trade_state=trade.trade_state,
    )


def bridge_params(body: Any) -> dict[str, str]:
    """The six getBrandWCPayRequest fields, present, strings and within WeChat's limits."""
    if not isinstance(body, dict):
        raise trades.TradeError(400, "PARAM_ERROR", "调起支付参数不是合法的JSON对象")
    for name in FIELDS:
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise trades.TradeError(400, "PARAM_ERROR", f"调用支付JSAPI缺少参数：{name}")
        if len(value) > LIMITS.get(name, 32):
            raise trades.TradeError(400, "PARAM_ERROR", f"参数 {name} 超出长度限制")
    if body["signType"] != "RSA":
        raise trades.TradeError(400, "PARAM_ERROR", "signType 必须为 RSA")
    if not (body["timeStamp"].isascii() and body["timeStamp"].isdigit()):
        raise trades.TradeError(400, "PARAM_ERROR", "timeStamp 必须是秒级时间戳")
    return {name: body[name] for name in FIELDS}


def pay_sign_matches(params: dict[str, str]) -> bool:
    """paySign = Base64(SHA256withRSA("appId\\ntimeStamp\\nnonceStr\\npackage\\n"))."""
    fields = [params[k] for k in ("appId", "timeStamp", "nonceStr", "package")]
    message = ("\n".join(fields) + "\n").encode()
    try:
        current().platform.merchant_public_key.verify(
            base64.b64decode(params["paySign"], validate=True),
            message,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _payable(trade: Any, app_id: str) -> None:
    """The order behind the package must be this appId's JSAPI order, still unpaid."""
    if trade.appid != app_id:
        raise trades.TradeError(400, "PARAM_ERROR", "appId与下单时的appid不一致")
    if trade.trade_type != "JSAPI":
        raise trades.TradeError(400, "PARAM_ERROR", "该订单不是JSAPI下单，不能在微信内调起支付")
    if trade.trade_state in ("SUCCESS", "REFUND"):
        raise trades.TradeError(400, "ORDERPAID", "该订单已支付")


@bp.post("/jsapi/confirm")
def confirm() -> Response:
    """The payer confirmed in the bridge: verify, pay once, queue the notification."""
    params = bridge_params(request.get_json(silent=True))
    if not pay_sign_matches(params):
        raise trades.TradeError(400, "SIGN_ERROR", "支付验证签名失败")
    prepay_id = _prepay_id(params["package"])
    sim = current()
    with transaction(sim.factory) as session:
        trade = trades.by_prepay_id(session, prepay_id)
        _payable(trade, params["appId"])
        if not trades.mark_paid(session, trade):
            raise trades.TradeError(400, "ORDERPAID", "该订单已支付")
        enqueue_success(session, sim.platform, trade)
        answer = {"trade_state": trade.trade_state, "out_trade_no": trade.out_trade_no}
    sim.notifier.wake()
    return jsonify(err_msg=f"{PAY}:ok", **answer)
