"""The cashier page where a person or a test confirms or abandons a payment."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template

from servicekit.db import transaction
from simulators.wechatpay import trades
from simulators.wechatpay.notifier import enqueue_success
from simulators.wechatpay.state import current

bp = Blueprint("cashier", __name__, url_prefix="/cashier", template_folder="templates")


@bp.errorhandler(trades.TradeError)
def trade_error(exc: trades.TradeError) -> tuple[Response, int]:
    """A refusal as {"code", "message"}, unsigned (the cashier is the payer's page)."""
    return jsonify(code=exc.code, message=exc.message), exc.status


@bp.get("/<prepay_id>")
def page(prepay_id: str) -> str:
    """The order's amount in yuan with 确认支付 / 放弃 buttons."""
    with current().factory() as session:
        trade = trades.by_prepay_id(session, prepay_id)
    yuan, fen = divmod(trade.amount_fen, 100)
    return render_template(
        "wechatpay_cashier.html",
        trade=trade,
        amount_yuan=f"{yuan}.{fen:02d}",
        state_desc=trades.STATE_DESC.get(trade.trade_state, trade.trade_state),
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
