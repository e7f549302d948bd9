"""The trade bill (交易账单) of a day in the real file's layout: a header row, one row per
payment and per refund with every field prefixed by a backquote, amounts in yuan, then
the summary rows. Applying for it answers the SHA1 of the file and a download URL."""

from __future__ import annotations

import gzip
import hashlib
import secrets
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock
from servicekit import money
from servicekit.db import transaction
from simulators.wechatpay.models import BillFile, Refund, Trade
from simulators.wechatpay.trades import TradeError

COLUMNS = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)
FEE_RATE = Decimal("0.006")  # 0.60%, charged on payments and given back on refunds
TOKEN_SECONDS = 30 * 60


def yuan(amount_fen: int) -> str:
    """12345 -> "123.45" (negative amounts keep their sign)."""
    return money.fen_to_yuan(amount_fen)


def _fee(amount_fen: int) -> Decimal:
    return (Decimal(amount_fen) / 100 * FEE_RATE).quantize(Decimal("0.00001"))


def _wall_time(iso: str) -> str:
    """ "2026-11-26T14:03:00+08:00" -> "2026-11-26 14:03:00"."""
    return iso[:19].replace("T", " ")


def _line(fields: list[str]) -> str:
    return ",".join("`" + field for field in fields)


def _payment_line(trade: Trade) -> str:
    return _line(
        [_wall_time(trade.success_time), trade.appid, trade.mchid, "0", "",
         trade.transaction_id, trade.out_trade_no, trade.payer_openid, trade.trade_type,
         "SUCCESS", "OTHERS", "CNY", yuan(trade.amount_fen), "0.00", "0", "0", "0.00", "0.00",
         "", "", trade.description, trade.attach, str(_fee(trade.amount_fen)), "0.60%",
         yuan(trade.amount_fen), "0.00", ""]
    )  # fmt: skip


def _refund_line(refund: Refund, trade: Trade) -> str:
    return _line(
        [_wall_time(refund.success_time), trade.appid, trade.mchid, "0", "",
         trade.transaction_id, trade.out_trade_no, trade.payer_openid, trade.trade_type,
         "REFUND", "OTHERS", "CNY", "0.00", "0.00", refund.refund_id, refund.out_refund_no,
         yuan(refund.refund_fen), "0.00", "ORIGINAL", "SUCCESS", trade.description,
         trade.attach, str(-_fee(refund.refund_fen)), "0.60%", yuan(trade.amount_fen),
         yuan(refund.refund_fen), ""]
    )  # fmt: skip


def render(session: Session, bill_date: str) -> str | None:
    """The ALL bill of ``bill_date`` (yyyy-MM-dd), or None when the day had no trade."""
    paid = session.scalars(
        select(Trade)
        .where(Trade.success_time.startswith(bill_date))
        .order_by(Trade.success_time, Trade.out_trade_no)
    ).all()
    refunds = session.execute(
        select(Refund, Trade)
        .join(Trade, Trade.out_trade_no == Refund.out_trade_no)
        .where(Refund.status == "SUCCESS", Refund.success_time.startswith(bill_date))
        .order_by(Refund.success_time, Refund.out_refund_no)
    ).all()
    if not paid and not refunds:
        return None
    paid_fen = sum(t.amount_fen for t in paid)
    refund_fen = sum(r.refund_fen for r, _ in refunds)
    fees = sum((_fee(t.amount_fen) for t in paid), Decimal(0)) - sum(
        (_fee(r.refund_fen) for r, _ in refunds), Decimal(0)
    )
    lines = [COLUMNS, *(_payment_line(t) for t in paid)]
    lines += [_refund_line(r, t) for r, t in refunds]
    lines += [
        SUMMARY,
        _line(
            [str(len(paid) + len(refunds)), yuan(paid_fen), yuan(refund_fen), "0.00",
             str(fees), yuan(paid_fen), yuan(refund_fen)]
        ),
    ]  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


def _bill_date(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise TradeError(400, "PARAM_ERROR", "bill_date 格式应为 yyyy-MM-dd") from exc
    if day > clock.today():
        raise TradeError(400, "INVALID_REQUEST", "账单日期不能晚于今天")
    return day.isoformat()


def apply(
    factory: sessionmaker[Session], bill_date: str, bill_type: str, tar_type: str
) -> tuple[str, str]:
    """Prepare the bill for download: (SHA1 of the uncompressed file, download token)."""
    if bill_type != "ALL":
        raise TradeError(400, "PARAM_ERROR", "bill_type 仅支持 ALL")
    if tar_type not in ("", "GZIP"):
        raise TradeError(400, "PARAM_ERROR", "tar_type 仅支持 GZIP")
    day = _bill_date(bill_date)
    with transaction(factory) as session:
        content = render(session, day)
        if content is None:
            raise TradeError(400, "NO_STATEMENT_EXIST", "账单文件不存在，当日无交易")
        token = secrets.token_urlsafe(24)
        session.add(
            BillFile(
                token=token,
                bill_date=day,
                tar_type=tar_type,
                content=content,
                expires_at=time.time() + TOKEN_SECONDS,
            )
        )
    return hashlib.sha1(content.encode("utf-8"), usedforsecurity=False).hexdigest(), token


def download(factory: sessionmaker[Session], token: str) -> bytes:
    """The bill file of a token (gzip-compressed when it was asked for so)."""
    with factory() as session:
        bill = session.get(BillFile, token)
    if bill is None or bill.expires_at < time.time():
        raise TradeError(400, "INVALID_REQUEST", "下载链接已失效，请重新申请账单")
    data = bill.content.encode("utf-8")
    return gzip.compress(data) if bill.tar_type == "GZIP" else data
