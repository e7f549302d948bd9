"""The bill download: a CSV of one day's (or month's) trades and refunds, amounts in yuan,
at the address alipay.data.dataservice.bill.downloadurl.query answers."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicekit import money
from simulators.alipay.models import Refund, Trade
from simulators.alipay.state import current
from simulators.alipay.trades import yuan

bp = Blueprint("bills", __name__, url_prefix="/bill")
COLUMNS = (
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "订单金额（元）",
    "商家实收（元）",
    "退款批次号/请求号",
    "备注",
)


def _payment_rows(session: Session, bill_date: str) -> list[list[str]]:
    paid = session.scalars(
        select(Trade).where(Trade.gmt_payment.startswith(bill_date)).order_by(Trade.gmt_payment)
    )
    return [
        [t.trade_no, t.out_trade_no, "交易", t.subject, t.gmt_create, t.gmt_payment,
         yuan(t.amount_fen), yuan(t.amount_fen), "", ""]
        for t in paid
    ]  # fmt: skip


def _refund_rows(session: Session, bill_date: str) -> list[list[str]]:
    refunds = session.execute(
        select(Refund, Trade)
        .join(Trade, Trade.out_trade_no == Refund.out_trade_no)
        .where(Refund.gmt_refund_pay.startswith(bill_date))
        .order_by(Refund.id)
    ).all()
    return [
        [t.trade_no, t.out_trade_no, "退款", t.subject, t.gmt_create, r.gmt_refund_pay,
         yuan(t.amount_fen), "-" + yuan(r.refund_fen), r.out_request_no, r.reason]
        for r, t in refunds
    ]  # fmt: skip


def bill_rows(bill_date: str) -> list[list[str]]:
    """One row per payment and per refund made on ``bill_date`` (yyyy-MM-dd or yyyy-MM)."""
    with current().factory() as session:
        return _payment_rows(session, bill_date) + _refund_rows(session, bill_date)


def _totals(rows: list[list[str]]) -> str:
    """The real file's totals after the list: count and 商家实收 of payments, of refunds."""
    paid = [money.yuan_to_fen(r[7]) for r in rows if r[2] == "交易"]
    refunded = [-money.yuan_to_fen(r[7], signed=True) for r in rows if r[2] == "退款"]
    return (
        f"#交易合计：{len(paid)}笔，商家实收共{yuan(sum(paid))}元，商家优惠共0.00元\n"
        f"#退款合计：{len(refunded)}笔，商家实收退款共{yuan(-sum(refunded))}元，"
        "商家优惠退款共0.00元\n"
    )


@bp.get("/<bill_type>/<bill_date>.csv")
def download(bill_type: str, bill_date: str) -> Response:
    """The bill as CSV, with the real file's '#' header and footer lines."""
    sim = current()
    rows = bill_rows(bill_date)
    out = io.StringIO()
    out.write("#支付宝业务明细查询\n")
    out.write(f"#账号：[{sim.settings.seller_id}]\n")
    out.write(f"#起始日期：[{bill_date}]\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    out.write(f"#{'-' * 41}业务明细列表结束{'-' * 36}\n")
    out.write(_totals(rows))
    return Response(out.getvalue(), mimetype="text/csv", content_type="text/csv;charset=utf-8")
