"""Refunds as WeChat Pay makes them: once per out_refund_no, PROCESSING first, then SUCCESS
(or ABNORMAL / CLOSED when an operator says so), each outcome notified like a payment."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock
from servicekit.db import transaction
from simulators.db import any_row
from simulators.wechatpay.models import Refund, Trade
from simulators.wechatpay.notifier import enqueue_event
from simulators.wechatpay.signing import Platform
from simulators.wechatpay.trades import TradeError

STATUSES = ("SUCCESS", "PROCESSING", "ABNORMAL", "CLOSED")
_EVENTS = {
    "SUCCESS": ("REFUND.SUCCESS", "退款成功"),
    "ABNORMAL": ("REFUND.ABNORMAL", "退款异常"),
    "CLOSED": ("REFUND.CLOSED", "退款关闭"),
}
RECEIVED_ACCOUNT = "支付用户零钱"
HELD = 1e18  # settle_at of a refund an operator holds in PROCESSING


@dataclass(frozen=True)
class RefundRequest:
    """A validated refund request."""

    out_trade_no: str
    transaction_id: str
    out_refund_no: str
    reason: str
    notify_url: str
    refund_fen: int
    total_fen: int

    def digest(self) -> str:
        """A fingerprint of what is refunded, to tell a retry from a reused out_refund_no."""
        text = json.dumps([self.out_trade_no or self.transaction_id, self.refund_fen])
        return hashlib.sha256(text.encode()).hexdigest()


def _fen(amount: dict[str, Any], name: str) -> int:
    value = amount.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise TradeError(400, "PARAM_ERROR", f"amount.{name} 必须为正整数（单位：分）")
    return value


def parse_refund(body: dict[str, Any]) -> RefundRequest:
    """Validate a refund body like the real API; raise TradeError(PARAM_ERROR)."""
    amount = body.get("amount")
    if not isinstance(amount, dict):
        raise TradeError(400, "PARAM_ERROR", "amount 为必填项")
    if amount.get("currency", "CNY") != "CNY":
        raise TradeError(400, "PARAM_ERROR", "币种 amount.currency 仅支持 CNY")
    out_refund_no = body.get("out_refund_no")
    if not isinstance(out_refund_no, str) or not 0 < len(out_refund_no) <= 64:
        raise TradeError(400, "PARAM_ERROR", "out_refund_no 为必填项，最长64个字符")
    out_trade_no = str(body.get("out_trade_no") or "")
    transaction_id = str(body.get("transaction_id") or "")
    if not out_trade_no and not transaction_id:
        raise TradeError(400, "PARAM_ERROR", "transaction_id 和 out_trade_no 必须二选一")
    return RefundRequest(
        out_trade_no=out_trade_no,
        transaction_id=transaction_id,
        out_refund_no=out_refund_no,
        reason=str(body.get("reason") or "")[:80],
        notify_url=str(body.get("notify_url") or ""),
        refund_fen=_fen(amount, "refund"),
        total_fen=_fen(amount, "total"),
    )


def _trade_of(session: Session, request: RefundRequest) -> Trade:
    if request.transaction_id:
        trade = session.scalar(select(Trade).where(Trade.transaction_id == request.transaction_id))
    else:
        trade = session.get(Trade, request.out_trade_no)
    if trade is None:
        raise TradeError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    if trade.trade_state not in ("SUCCESS", "REFUND"):
        raise TradeError(400, "INVALID_REQUEST", "订单未支付，不能退款")
    if request.total_fen != trade.amount_fen:
        raise TradeError(400, "INVALID_REQUEST", "订单金额 amount.total 与原订单金额不一致")
    return trade


def _refunded_fen(session: Session, out_trade_no: str) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Refund.refund_fen), 0)).where(
            Refund.out_trade_no == out_trade_no, Refund.status != "CLOSED"
        )
    )
    return int(total or 0)


def place_refund(
    factory: sessionmaker[Session], request: RefundRequest, delay_seconds: float
) -> tuple[Refund, Trade]:
    """Create the refund once; the same request again answers the same refund."""
    with transaction(factory) as session:
        existing = session.get(Refund, request.out_refund_no)
        trade = _trade_of(session, request)
        if existing is not None:
            if existing.request_digest != request.digest():
                raise TradeError(400, "INVALID_REQUEST", "商户退款单号重复，且退款内容不一致")
            return existing, trade
        if _refunded_fen(session, trade.out_trade_no) + request.refund_fen > trade.amount_fen:
            raise TradeError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        now = clock.now()
        refund = Refund(
            out_refund_no=request.out_refund_no,
            refund_id="50" + now.strftime("%Y%m%d") + f"{secrets.randbelow(10**19):019d}",
            out_trade_no=trade.out_trade_no,
            refund_fen=request.refund_fen,
            total_fen=trade.amount_fen,
            reason=request.reason,
            notify_url=request.notify_url,
            request_digest=request.digest(),
            status="PROCESSING",
            settle_at=time.time() + delay_seconds,
            create_time=clock.iso(now),
            success_time="",
        )
        session.add(refund)
        return refund, trade


def find_refund(factory: sessionmaker[Session], out_refund_no: str) -> tuple[Refund, Trade]:
    """The refund and its trade, or TradeError(RESOURCE_NOT_EXISTS)."""
    with factory() as session:
        refund = session.get(Refund, out_refund_no)
        trade = session.get(Trade, refund.out_trade_no) if refund is not None else None
    if refund is None or trade is None:
        raise TradeError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return refund, trade


def finish(session: Session, platform: Platform, refund: Refund, status: str) -> None:
    """Move a PROCESSING refund to its outcome and queue the REFUND.* notification."""
    trade = session.get(Trade, refund.out_trade_no)
    if refund.status != "PROCESSING" or trade is None:
        return
    refund.status = status
    if status == "SUCCESS":
        refund.success_time = clock.now_iso()
        trade.trade_state = "REFUND"
    if refund.notify_url and status in _EVENTS:
        event_type, summary = _EVENTS[status]
        resource = notification_view(refund, trade)
        enqueue_event(
            session,
            platform,
            trade.out_trade_no,
            refund.notify_url,
            (event_type, summary, "refund"),
            resource,
        )


def settle_due(factory: sessionmaker[Session], platform: Platform) -> int:
    """Settle every PROCESSING refund whose time has come; how many were settled."""
    due_now = f"status = 'PROCESSING' AND settle_at <= {time.time()!r}"
    if not any_row(factory, f"SELECT 1 FROM {Refund.__tablename__} WHERE {due_now} LIMIT 1"):
        return 0  # the notifier's every round: no write transaction for nothing
    with transaction(factory) as session:
        due = session.scalars(
            select(Refund).where(Refund.status == "PROCESSING", Refund.settle_at <= time.time())
        ).all()
        for refund in due:
            finish(session, platform, refund, "SUCCESS")
        return len(due)


def refund_view(refund: Refund, trade: Trade) -> dict[str, Any]:
    """The refund as the apply and query APIs answer it."""
    view: dict[str, Any] = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": trade.transaction_id,
        "out_trade_no": trade.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": RECEIVED_ACCOUNT,
        "create_time": refund.create_time,
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {
            "total": refund.total_fen,
            "refund": refund.refund_fen,
            "payer_total": refund.total_fen,
            "payer_refund": refund.refund_fen,
            "settlement_refund": refund.refund_fen,
            "settlement_total": refund.total_fen,
            "discount_refund": 0,
            "currency": "CNY",
            "refund_fee": 0,
        },
        "promotion_detail": [],
    }
    if refund.success_time:
        view["success_time"] = refund.success_time
    return view


def notification_view(refund: Refund, trade: Trade) -> dict[str, Any]:
    """The decrypted resource of a REFUND.* notification."""
    view: dict[str, Any] = {
        "mchid": trade.mchid,
        "transaction_id": trade.transaction_id,
        "out_trade_no": trade.out_trade_no,
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "refund_status": refund.status,
        "user_received_account": RECEIVED_ACCOUNT,
        "amount": {
            "total": refund.total_fen,
            "refund": refund.refund_fen,
            "payer_total": refund.total_fen,
            "payer_refund": refund.refund_fen,
        },
    }
    if refund.success_time:
        view["success_time"] = refund.success_time
    return view
