"""The merchant-facing API v3: place, query and close orders, refund them, and fetch the
trade bill. Every request is verified against the merchant's key and every answer (but the
bill file itself, as in the real API) is signed with the platform's key."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, g, request, url_for

from simulators.wechatpay import bills, refunds, trades
from simulators.wechatpay.signing import SignatureRejected, verify_request
from simulators.wechatpay.state import current, error_answer, signed_answer, take_fault

bp = Blueprint("api", __name__, url_prefix="/v3")


def _request_uri() -> str:
    """The path and query exactly as sent, which is what the merchant signed."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    query = request.query_string.decode()
    return request.path + (f"?{query}" if query else "")


@bp.before_request
def inject_fault_and_verify() -> Response | None:
    """Apply an injected fault, then refuse a request whose signature does not verify."""
    sim = current()
    fault = take_fault(request.path)
    g.drop_seconds = 0.0
    if fault is not None:
        if fault.mode == "error":
            return error_answer(sim.platform, 500, "SYSTEM_ERROR", "系统异常，请稍后重试")
        if fault.mode == "delay":
            time.sleep(fault.seconds)
        if fault.mode == "drop":
            g.drop_seconds = fault.seconds
    try:
        verify_request(
            sim.platform,
            request.method,
            _request_uri(),
            request.get_data(),
            request.headers.get("Authorization", ""),
        )
    except SignatureRejected as exc:
        return error_answer(sim.platform, 401, "SIGN_ERROR", str(exc))
    return None


@bp.after_request
def late_reply(response: Response) -> Response:
    """The "drop" fault: the work is committed, the answer comes too late for the caller."""
    if getattr(g, "drop_seconds", 0.0):
        time.sleep(g.drop_seconds)
    return response


@bp.errorhandler(trades.TradeError)
def trade_error(exc: trades.TradeError) -> Response:
    """Answer a refusal in the real API's shape."""
    return error_answer(current().platform, exc.status, exc.code, exc.message)


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise trades.TradeError(400, "PARAM_ERROR", "请求体不是合法的JSON对象")
    return body


@bp.post("/pay/transactions/<any(jsapi, h5, native):kind>")
def place_order(kind: str) -> Response:
    """JSAPI answers prepay_id, H5 h5_url (the cashier page), Native a weixin:// code_url."""
    sim = current()
    order = trades.parse_order(kind, _json_body(), sim.settings.mchid, sim.settings.appid)
    if kind == "jsapi":
        _check_payer(order)
    trade = trades.place_order(sim.factory, order)
    cashier = url_for("cashier.page", prepay_id=trade.prepay_id, _external=True)
    answer = {
        "jsapi": {"prepay_id": trade.prepay_id},
        "h5": {"h5_url": cashier},
        "native": {"code_url": f"{trades.CODE_URL_PREFIX}{trade.prepay_id}"},
    }[kind]
    return signed_answer(sim.platform, 200, answer)


def _check_payer(order: trades.OrderRequest) -> None:
    """A JSAPI payer's openid must be one WeChat issued under the order's appid."""
    owner = current().directory.owner(order.payer_openid)
    if owner is None or owner[0] != order.appid:
        raise trades.TradeError(400, "PARAM_ERROR", "appid和openid不匹配")


def _mchid_param(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise trades.TradeError(400, "PARAM_ERROR", "mchid 为必填项")
    return value


@bp.get("/pay/transactions/out-trade-no/<out_trade_no>")
def query_order(out_trade_no: str) -> Response:
    """The transaction by the merchant's order number."""
    sim = current()
    trade = trades.find_trade(sim.factory, out_trade_no, _mchid_param(request.args.get("mchid")))
    return signed_answer(sim.platform, 200, trades.transaction_view(trade))


@bp.post("/pay/transactions/out-trade-no/<out_trade_no>/close")
def close_order(out_trade_no: str) -> Response:
    """Close an unpaid order: 204 with no body."""
    sim = current()
    trades.close_order(sim.factory, out_trade_no, _mchid_param(_json_body().get("mchid")))
    return signed_answer(sim.platform, 204, None)


@bp.post("/refund/domestic/refunds")
def apply_refund() -> Response:
    """Refund (part of) a paid order, once per out_refund_no; answers PROCESSING at first."""
    sim = current()
    request_ = refunds.parse_refund(_json_body())
    refund, trade = refunds.place_refund(sim.factory, request_, sim.settings.refund_seconds)
    sim.notifier.wake()
    return signed_answer(sim.platform, 200, refunds.refund_view(refund, trade))


@bp.get("/refund/domestic/refunds/<out_refund_no>")
def query_refund(out_refund_no: str) -> Response:
    """The refund by the merchant's refund number."""
    sim = current()
    refunds.settle_due(sim.factory, sim.platform)
    refund, trade = refunds.find_refund(sim.factory, out_refund_no)
    return signed_answer(sim.platform, 200, refunds.refund_view(refund, trade))


@bp.get("/bill/tradebill")
def trade_bill() -> Response:
    """Apply for a day's trade bill: {hash_type SHA1, hash_value, download_url}."""
    sim = current()
    hash_value, token = bills.apply(
        sim.factory,
        str(request.args.get("bill_date") or ""),
        str(request.args.get("bill_type") or "ALL"),
        str(request.args.get("tar_type") or ""),
    )
    url = url_for("api.download_bill", token=token, _external=True)
    return signed_answer(
        sim.platform, 200, {"hash_type": "SHA1", "hash_value": hash_value, "download_url": url}
    )


@bp.get("/billdownload/file")
def download_bill() -> Response:
    """The bill file itself: a CSV (or its gzip), not signed, as the real download."""
    data = bills.download(current().factory, str(request.args.get("token") or ""))
    return Response(data, status=200, content_type="application/octet-stream")
