"""The open API methods the gateway serves: one dispatch table, method name -> handler.

A handler takes the simulator, the request's common parameters and its parsed
biz_content, and returns the answer's fields (besides code and msg), or raises
TradeError."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from servicekit.db import transaction
from simulators.alipay import notifier, oauth, trades
from simulators.alipay.state import Simulator
from simulators.alipay.trades import TradeError, yuan

Handler = Callable[[Simulator, dict[str, str], dict[str, Any]], dict[str, str]]
PRODUCT_CODES = {
    "alipay.trade.create": "FACE_TO_FACE_PAYMENT",
    "alipay.trade.precreate": "FACE_TO_FACE_PAYMENT",
    "alipay.trade.wap.pay": "QUICK_WAP_WAY",
    "alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY",
}
_BILL_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def _text(biz: dict[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = biz.get(name, "")
    if not isinstance(value, str | int) or len(str(value)) > limit or (required and not value):
        raise TradeError("ACQ.INVALID_PARAMETER", f"参数{name}无效", code="40004")
    return str(value)


def parse_order(method: str, params: dict[str, str], biz: dict[str, Any]) -> trades.OrderRequest:
    """Validate the biz_content of a trade-opening method like the real gateway."""
    return trades.OrderRequest(
        method=method,
        out_trade_no=_text(biz, "out_trade_no", 64),
        amount_fen=trades.parse_yuan(biz.get("total_amount"), "total_amount"),
        subject=_text(biz, "subject", 256),
        product_code=_text(biz, "product_code", 64, required=False) or PRODUCT_CODES[method],
        notify_url=params.get("notify_url", ""),
        return_url=params.get("return_url", ""),
        timeout_seconds=trades.timeout_seconds(_text(biz, "timeout_express", 8, required=False)),
    )


def _open(sim: Simulator, method: str, params: dict[str, str], biz: dict[str, Any]) -> str:
    """Open (or find again) the trade of the calling app; its out_trade_no."""
    order = parse_order(method, params, biz)
    with transaction(sim.factory) as session:
        trade = trades.open_trade(session, order, params["app_id"])
        return trade.out_trade_no


def cashier_url(out_trade_no: str) -> str:
    """The simulator's cashier page of a trade (what a QR code or a wap link leads to)."""
    return url_for("cashier.page", out_trade_no=out_trade_no, _external=True)


def trade_create(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> dict[str, str]:
    """alipay.trade.create: a trade the buyer (buyer_id or buyer_open_id, an id this app was
    issued) pays in the Alipay app with the JS bridge's tradePay."""
    order = parse_order("alipay.trade.create", params, biz)
    with transaction(sim.factory) as session:
        buyer = oauth.buyer_of(session, params["app_id"], biz)
        trade = trades.open_trade(session, order, params["app_id"], buyer.user_id)
        return {"out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no}


def trade_precreate(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> dict[str, str]:
    """alipay.trade.precreate: the qr_code the buyer scans (here: the cashier page)."""
    out_trade_no = _open(sim, "alipay.trade.precreate", params, biz)
    return {"out_trade_no": out_trade_no, "qr_code": cashier_url(out_trade_no)}


def browser_pay(method: str) -> Callable[[Simulator, dict[str, str], dict[str, Any]], str]:
    """wap.pay / page.pay: open the trade; the cashier URL the browser is sent on to."""

    def handler(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> str:
        return cashier_url(_open(sim, method, params, biz))

    return handler


def _find(session: Session, params: dict[str, str], biz: dict[str, Any]) -> trades.Trade:
    """The calling app's trade named by out_trade_no or trade_no."""
    out_trade_no = _text(biz, "out_trade_no", 64, required=False)
    trade_no = _text(biz, "trade_no", 64, required=False)
    if not out_trade_no and not trade_no:
        raise TradeError("ACQ.INVALID_PARAMETER", "out_trade_no和trade_no不能同时为空")
    return trades.find(session, out_trade_no, trade_no, app_id=params["app_id"])


def trade_query(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> dict[str, str]:
    """alipay.trade.query: the trade's status and amounts."""
    with transaction(sim.factory) as session:
        return trades.query_view(_find(session, params, biz))


def trade_close(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> dict[str, str]:
    """alipay.trade.close: close an unpaid trade."""
    with transaction(sim.factory) as session:
        trade = _find(session, params, biz)
        trades.close(trade)
        return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}


def trade_refund(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> dict[str, str]:
    """alipay.trade.refund: once per out_request_no; fund_change says if money moved now."""
    refund_fen = trades.parse_yuan(biz.get("refund_amount"), "refund_amount")
    reason = _text(biz, "refund_reason", 256, required=False)
    with transaction(sim.factory) as session:
        trade = _find(session, params, biz)
        out_request_no = _text(biz, "out_request_no", 64, required=False) or trade.out_trade_no
        record, moved = trades.refund(session, trade, out_request_no, refund_fen, reason)
        if moved:
            notifier.enqueue(session, sim.platform, trade, record)
        answer = {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": trade.buyer_logon_id,
            "buyer_user_id": trade.buyer_user_id,
            "fund_change": "Y" if moved else "N",
            "refund_fee": yuan(trade.refunded_fen),
            "send_back_fee": yuan(record.refund_fen),
            "gmt_refund_pay": record.gmt_refund_pay,
        }
    sim.notifier.wake()
    return answer


def refund_query(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> dict[str, str]:
    """alipay.trade.fastpay.refund.query: the refund, or no refund fields when none was made."""
    with sim.factory() as session:
        trade = _find(session, params, biz)
        record = trades.find_refund(session, trade, _text(biz, "out_request_no", 64))
    if record is None:
        return {}
    return {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "out_request_no": record.out_request_no,
        "total_amount": yuan(trade.amount_fen),
        "refund_amount": yuan(record.refund_fen),
        "refund_status": "REFUND_SUCCESS",
        "gmt_refund_pay": record.gmt_refund_pay,
    }


def bill_url(sim: Simulator, params: dict[str, str], biz: dict[str, Any]) -> dict[str, str]:
    """alipay.data.dataservice.bill.downloadurl.query: where the day's CSV can be fetched."""
    bill_type = _text(biz, "bill_type", 16)
    bill_date = _text(biz, "bill_date", 10)
    if bill_type not in ("trade", "signcustomer") or not _BILL_DATE.match(bill_date):
        raise TradeError("isv.invalid-arguments", "账单类型或日期格式错误", code="40002")
    if bill_date > trades.now_text()[: len(bill_date)]:
        raise TradeError("isp.bill_not_exist", "账单不存在")
    url = url_for("bills.download", bill_type=bill_type, bill_date=bill_date, _external=True)
    return {"bill_download_url": url}


HANDLERS: dict[str, Handler] = {
    "alipay.trade.create": trade_create,
    "alipay.trade.precreate": trade_precreate,
    "alipay.trade.query": trade_query,
    "alipay.trade.close": trade_close,
    "alipay.trade.refund": trade_refund,
    "alipay.trade.fastpay.refund.query": refund_query,
    "alipay.data.dataservice.bill.downloadurl.query": bill_url,
    "alipay.system.oauth.token": oauth.oauth_token,
}
# Methods whose refusals Alipay answers as error_response rather than <method>_response.
ERROR_RESPONSE = frozenset({"alipay.system.oauth.token"})
# Browser methods: the signed request is a link the payer opens, answered with the cashier.
BROWSER: dict[str, Callable[[Simulator, dict[str, str], dict[str, Any]], str]] = {
    "alipay.trade.wap.pay": browser_pay("alipay.trade.wap.pay"),
    "alipay.trade.page.pay": browser_pay("alipay.trade.page.pay"),
}
