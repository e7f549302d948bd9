"""The order book: place, query, close and pay orders as WeChat Pay does."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock
from servicekit.db import transaction
from simulators.wechatpay.models import Trade

# A Native order's code_url, as the real one: the payer's phone opens it by scanning.
CODE_URL_PREFIX = "weixin://wxpay/bizpayurl?pr="
# Path segment -> the trade_type the query answers with (H5 is called MWEB there).
TRADE_TYPES = {"jsapi": "JSAPI", "h5": "MWEB", "native": "NATIVE"}
STATE_DESC = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "CLOSED": "订单已关闭",
    "REFUND": "转入退款",
    "USERPAYING": "用户支付中",
    "PAYERROR": "支付失败",
}


class TradeError(Exception):
    """A refusal the real API answers with an HTTP status, a code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OrderRequest:
    """A validated place-order request."""

    trade_type: str
    appid: str
    mchid: str
    description: str
    out_trade_no: str
    notify_url: str
    amount_fen: int
    currency: str
    attach: str
    payer_openid: str

    def digest(self) -> str:
        """A fingerprint of the content, to tell a retry from a reused out_trade_no."""
        text = json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _required_text(source: dict[str, Any], name: str, limit: int) -> str:
    value = source.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise TradeError(
            400, "PARAM_ERROR", f"输入源“/body/{name}”映射到字段“{name}”必填性规则校验失败"
        )
    return value


def _amount_fen(body: dict[str, Any]) -> int:
    amount = body.get("amount")
    total = amount.get("total") if isinstance(amount, dict) else None
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        raise TradeError(400, "PARAM_ERROR", "订单金额 amount.total 必须为正整数（单位：分）")
    if isinstance(amount, dict) and amount.get("currency", "CNY") != "CNY":
        raise TradeError(400, "PARAM_ERROR", "币种 amount.currency 仅支持 CNY")
    return total


def parse_order(kind: str, body: dict[str, Any], mchid: str, appid: str) -> OrderRequest:
    """Validate a place-order body like the real API; raise TradeError(PARAM_ERROR)."""
    amount_fen = _amount_fen(body)
    payer_openid = ""
    if kind == "jsapi":
        payer = body.get("payer")
        payer_openid = _required_text(payer if isinstance(payer, dict) else {}, "openid", 128)
    if kind == "h5" and not isinstance(body.get("scene_info"), dict):
        raise TradeError(400, "PARAM_ERROR", "H5 下单必须传 scene_info")
    request = OrderRequest(
        trade_type=TRADE_TYPES[kind],
        appid=_required_text(body, "appid", 32),
        mchid=_required_text(body, "mchid", 32),
        description=_required_text(body, "description", 127),
        out_trade_no=_required_text(body, "out_trade_no", 32),
        notify_url=_required_text(body, "notify_url", 256),
        amount_fen=amount_fen,
        currency="CNY",
        attach=str(body.get("attach") or ""),
        payer_openid=payer_openid,
    )
    if request.mchid != mchid:
        raise TradeError(400, "MCH_NOT_EXISTS", "商户号不存在")
    if request.appid != appid:
        raise TradeError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    return request


def _new_prepay_id(now: datetime) -> str:
    return "wx" + now.strftime("%d%H%M%S") + secrets.token_hex(14)


def place_order(factory: sessionmaker[Session], request: OrderRequest) -> Trade:
    """Create the order, or return the existing one when the same content is sent again."""
    with transaction(factory) as session:
        existing = session.get(Trade, request.out_trade_no)
        if existing is not None:
            if existing.request_digest != request.digest():
                raise TradeError(400, "OUT_TRADE_NO_USED", "商户订单号重复")
            if existing.trade_state == "CLOSED":
                raise TradeError(400, "ORDER_CLOSED", "订单已关闭")
            if existing.trade_state == "SUCCESS":
                raise TradeError(400, "INVALID_REQUEST", "该订单已支付")
            return existing
        now = clock.now()
        trade = Trade(
            out_trade_no=request.out_trade_no,
            mchid=request.mchid,
            appid=request.appid,
            trade_type=request.trade_type,
            description=request.description,
            notify_url=request.notify_url,
            amount_fen=request.amount_fen,
            currency=request.currency,
            attach=request.attach,
            payer_openid=request.payer_openid,
            request_digest=request.digest(),
            prepay_id=_new_prepay_id(now),
            trade_state="NOTPAY",
            transaction_id="",
            success_time="",
            create_time=clock.iso(now),
        )
        session.add(trade)
        return trade


def find_trade(factory: sessionmaker[Session], out_trade_no: str, mchid: str) -> Trade:
    """The order, or TradeError(ORDER_NOT_EXIST)."""
    with factory() as session:
        trade = session.get(Trade, out_trade_no)
    if trade is None or trade.mchid != mchid:
        raise TradeError(404, "ORDER_NOT_EXIST", "订单不存在")
    return trade


def close_order(factory: sessionmaker[Session], out_trade_no: str, mchid: str) -> None:
    """Close an unpaid order (closing it again is harmless)."""
    with transaction(factory) as session:
        trade = session.get(Trade, out_trade_no)
        if trade is None or trade.mchid != mchid:
            raise TradeError(404, "ORDER_NOT_EXIST", "订单不存在")
        if trade.trade_state in ("SUCCESS", "REFUND"):
            raise TradeError(400, "INVALID_REQUEST", "订单已支付，不能关闭")
        trade.trade_state = "CLOSED"


def by_prepay_id(session: Session, prepay_id: str) -> Trade:
    """The order behind a cashier link, or TradeError(ORDER_NOT_EXIST)."""
    trade = session.scalars(select(Trade).where(Trade.prepay_id == prepay_id)).one_or_none()
    if trade is None:
        raise TradeError(404, "ORDER_NOT_EXIST", "订单不存在")
    return trade


def mark_paid(session: Session, trade: Trade) -> bool:
    """Settle the order as paid; False when it already was (no second notification).

    The update is guarded on NOTPAY, so of two confirmations racing (the cashier's button
    and the bridge, or two workers) exactly one pays and queues the notification."""
    if trade.trade_state == "SUCCESS":
        return False
    if trade.trade_state != "NOTPAY":
        raise TradeError(400, "ORDER_CLOSED", "订单已关闭")
    now = clock.now()
    paid = session.execute(
        update(Trade)
        .where(Trade.out_trade_no == trade.out_trade_no, Trade.trade_state == "NOTPAY")
        .values(
            trade_state="SUCCESS",
            transaction_id="4200" + now.strftime("%Y%m%d") + f"{secrets.randbelow(10**16):016d}",
            success_time=clock.iso(now),
            payer_openid=trade.payer_openid or "oSim" + secrets.token_hex(12),
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(trade)
    if getattr(paid, "rowcount", 0):
        return True
    if trade.trade_state == "SUCCESS":
        return False
    raise TradeError(400, "ORDER_CLOSED", "订单已关闭")


def transaction_view(trade: Trade) -> dict[str, Any]:
    """The transaction as the query API and the notification resource show it."""
    view: dict[str, Any] = {
        "appid": trade.appid,
        "mchid": trade.mchid,
        "out_trade_no": trade.out_trade_no,
        "trade_state": trade.trade_state,
        "trade_state_desc": STATE_DESC.get(trade.trade_state, trade.trade_state),
        "attach": trade.attach,
        "amount": {
            "total": trade.amount_fen,
            "currency": trade.currency,
            "payer_currency": trade.currency,
        },
    }
    if trade.trade_state in ("SUCCESS", "REFUND"):
        view.update(
            transaction_id=trade.transaction_id,
            trade_type=trade.trade_type,
            bank_type="OTHERS",
            success_time=trade.success_time,
            payer={"openid": trade.payer_openid},
        )
        view["amount"]["payer_total"] = trade.amount_fen
    elif trade.payer_openid:
        view["payer"] = {"openid": trade.payer_openid}
    return view
