"""The trade book: open, query, close, pay and refund trades as Alipay does; fen inside,
yuan strings with two decimals only on the wire."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from envelope import clock
from servicekit import money
from simulators.alipay.models import Refund, Trade

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_AMOUNT_FEN = 100_000_000_00
DEFAULT_TIMEOUT_SECONDS = 15 * 86400  # the real default: 15 days
_TIMEOUT = re.compile(r"^(\d+)([mhd])$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


class TradeError(Exception):
    """A business refusal: code 40004 "Business Failed" with the ACQ.* sub_code."""

    def __init__(self, sub_code: str, sub_msg: str, code: str = "40004") -> None:
        super().__init__(f"{sub_code}: {sub_msg}")
        self.code = code
        self.sub_code = sub_code
        self.sub_msg = sub_msg


@dataclass(frozen=True)
class OrderRequest:
    """A validated request to open a trade (create, precreate, wap.pay, page.pay)."""

    method: str
    out_trade_no: str
    amount_fen: int
    subject: str
    product_code: str
    notify_url: str
    return_url: str
    timeout_seconds: int


def yuan(amount_fen: int) -> str:
    """12345 -> "123.45"."""
    return money.fen_to_yuan(amount_fen)


def parse_yuan(text: object, name: str) -> int:
    """ "123.45" -> 12345; more than two decimals, zero or negative is ACQ.INVALID_PARAMETER."""
    try:
        fen = money.yuan_to_fen(text)
    except money.NotAnAmount as exc:
        raise TradeError("ACQ.INVALID_PARAMETER", f"参数{name}无效") from exc
    if not 0 < fen <= MAX_AMOUNT_FEN:
        raise TradeError("ACQ.INVALID_PARAMETER", f"参数{name}无效")
    return fen


def now_text() -> str:
    """The current Shanghai time as Alipay writes it: 2026-11-26 14:03:00."""
    return clock.now().strftime(TIME_FORMAT)


def timeout_seconds(text: str) -> int:
    """timeout_express such as "30m", "2h", "1d"; empty -> the 15 day default."""
    if not text:
        return DEFAULT_TIMEOUT_SECONDS
    match = _TIMEOUT.match(text)
    if not match or int(match.group(1)) <= 0:
        raise TradeError("ACQ.INVALID_PARAMETER", "参数timeout_express无效")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _new_trade_no() -> str:
    return clock.now().strftime("%Y%m%d") + "22001" + f"{secrets.randbelow(10**15):015d}"


def open_trade(
    session: Session, order: OrderRequest, app_id: str, buyer_user_id: str = ""
) -> Trade:
    """Create the trade, or return it when the same order is sent again (by the same app,
    for the same buyer when one is named)."""
    trade = session.get(Trade, order.out_trade_no)
    if trade is not None:
        expire_if_due(trade)
        if trade.app_id != app_id:
            raise TradeError("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        if trade.amount_fen != order.amount_fen or trade.subject != order.subject:
            raise TradeError("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        if buyer_user_id and trade.buyer_user_id != buyer_user_id:
            raise TradeError("ACQ.TRADE_BUYER_NOT_MATCH", "交易买家不匹配")
        if trade.trade_status == "TRADE_CLOSED":
            raise TradeError("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        if trade.trade_status != "WAIT_BUYER_PAY":
            raise TradeError("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
        return trade
    trade = Trade(
        out_trade_no=order.out_trade_no,
        app_id=app_id,
        method=order.method,
        product_code=order.product_code,
        subject=order.subject,
        notify_url=order.notify_url,
        return_url=order.return_url,
        amount_fen=order.amount_fen,
        refunded_fen=0,
        trade_no=_new_trade_no(),
        trade_status="WAIT_BUYER_PAY",
        buyer_logon_id="",
        buyer_user_id=buyer_user_id,  # known at once for alipay.trade.create
        gmt_create=now_text(),
        gmt_payment="",
        gmt_close="",
        expire_at=time.time() + order.timeout_seconds,
    )
    session.add(trade)
    return trade


def expire_if_due(trade: Trade) -> None:
    """Close an unpaid trade whose timeout_express has passed, as Alipay does on its own."""
    if trade.trade_status == "WAIT_BUYER_PAY" and trade.expire_at and trade.expire_at < time.time():
        trade.trade_status = "TRADE_CLOSED"
        trade.gmt_close = now_text()


def find(session: Session, out_trade_no: str = "", trade_no: str = "", app_id: str = "") -> Trade:
    """The trade by out_trade_no or trade_no (of ``app_id`` when given: another app's trade
    does not exist for it), or ACQ.TRADE_NOT_EXIST."""
    trade = None
    if out_trade_no:
        trade = session.get(Trade, out_trade_no)
    elif trade_no:
        trade = session.scalars(select(Trade).where(Trade.trade_no == trade_no)).one_or_none()
    if trade is None or (trade_no and trade.trade_no != trade_no):
        raise TradeError("ACQ.TRADE_NOT_EXIST", "交易不存在")
    if app_id and trade.app_id != app_id:
        raise TradeError("ACQ.TRADE_NOT_EXIST", "交易不存在")
    expire_if_due(trade)
    return trade


def close(trade: Trade) -> None:
    """Close an unpaid trade; closing a closed one again is harmless."""
    if trade.trade_status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        raise TradeError("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
    if trade.trade_status == "WAIT_BUYER_PAY":
        trade.trade_status = "TRADE_CLOSED"
        trade.gmt_close = now_text()


def mark_paid(trade: Trade) -> bool:
    """The buyer pays: TRADE_SUCCESS; False when it already was (no second notification)."""
    expire_if_due(trade)
    if trade.trade_status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        return False
    if trade.trade_status != "WAIT_BUYER_PAY":
        raise TradeError("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
    trade.trade_status = "TRADE_SUCCESS"
    trade.gmt_payment = now_text()
    # A cashier payer is anybody; the buyer of alipay.trade.create is known already.
    trade.buyer_user_id = trade.buyer_user_id or "2088" + f"{secrets.randbelow(10**12):012d}"
    trade.buyer_logon_id = "sim***@sandbox.com"
    return True


def refund(
    session: Session, trade: Trade, out_request_no: str, refund_fen: int, reason: str
) -> tuple[Refund, bool]:
    """Refund once per out_request_no: (the refund, True when money moved this time)."""
    existing = session.scalars(
        select(Refund).where(
            Refund.out_trade_no == trade.out_trade_no, Refund.out_request_no == out_request_no
        )
    ).one_or_none()
    if existing is not None:
        if existing.refund_fen != refund_fen:
            raise TradeError("ACQ.INVALID_PARAMETER", "同一退款请求号的退款金额不一致")
        return existing, False
    if trade.trade_status != "TRADE_SUCCESS":
        raise TradeError("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
    if trade.refunded_fen + refund_fen > trade.amount_fen:
        raise TradeError("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
    record = Refund(
        out_trade_no=trade.out_trade_no,
        out_request_no=out_request_no,
        refund_fen=refund_fen,
        reason=reason,
        gmt_refund_pay=now_text(),
    )
    session.add(record)
    trade.refunded_fen += refund_fen
    if trade.refunded_fen == trade.amount_fen:
        trade.trade_status = "TRADE_CLOSED"
        trade.gmt_close = record.gmt_refund_pay
    return record, True


def find_refund(session: Session, trade: Trade, out_request_no: str) -> Refund | None:
    """The refund of this trade with this out_request_no, if any."""
    return session.scalars(
        select(Refund).where(
            Refund.out_trade_no == trade.out_trade_no, Refund.out_request_no == out_request_no
        )
    ).one_or_none()


def query_view(trade: Trade) -> dict[str, str]:
    """The fields alipay.trade.query answers (besides code and msg)."""
    view = {
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "trade_status": trade.trade_status,
        "total_amount": yuan(trade.amount_fen),
    }
    if trade.gmt_payment:
        view.update(
            buyer_logon_id=trade.buyer_logon_id,
            buyer_user_id=trade.buyer_user_id,
            buyer_pay_amount=yuan(trade.amount_fen),
            receipt_amount=yuan(trade.amount_fen),
            invoice_amount=yuan(trade.amount_fen),
            point_amount="0.00",
            send_pay_date=trade.gmt_payment,
        )
    return view
