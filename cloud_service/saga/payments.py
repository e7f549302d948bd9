"""Money arriving from a channel: verified notifications and queried trades both end here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cloud_service.channels.base import ChannelError, TradeNotFound
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import ChannelNotice, Order
from cloud_service.saga.states import State, next_step
from cloud_service.saga.transitions import move
from envelope import codes
from servicekit.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaidTrade:
    """A channel's statement that an out_trade_no was paid."""

    channel: str
    out_trade_no: str
    amount_fen: int
    channel_trade_no: str
    notice_id: str | None = None


def record_payment(deps: Deps, trade: PaidTrade) -> str | None:
    """Mark the order PAID once (deduplicated by notice id and by the guarded transition).

    Returns the order_no whose saga should advance, or None for a duplicate.
    Refuses (2006) an amount that is not the cash part the order asked for.
    """
    try:
        with transaction(deps.sessions) as session:
            if trade.notice_id is not None:
                session.add(
                    ChannelNotice(
                        notice_id=trade.notice_id,
                        channel=trade.channel,
                        out_trade_no=trade.out_trade_no,
                    )
                )
                session.flush()
            order = session.scalar(select(Order).where(Order.out_trade_no == trade.out_trade_no))
            if order is None:
                raise CloudError(codes.RECORD_NOT_FOUND, "支付渠道的商户订单号没有对应的订单")
            _check_trade(order, trade)
            if order.state != State.AWAITING_PAYMENT:
                return None
            move(
                session,
                order.order_no,
                State.AWAITING_PAYMENT,
                State.PAID,
                note=f"{trade.channel} paid {trade.amount_fen} fen",
                channel_trade_no=trade.channel_trade_no,
                step=next_step(State.PAID, order.pay_mode, has_lock=True),
            )
            return order.order_no
    except IntegrityError:
        log.info("duplicate %s notification ignored", trade.channel)
        return None


def credit_per_query(deps: Deps, notified: PaidTrade) -> str | None:
    """A notification that does not say paid credits nothing: once it is checked against
    the order (channel, amount), the channel is asked, and only its SUCCESS credits.

    Returns the order_no whose saga should advance, or None. A query that fails is left to
    the order's payment_deadline step, which asks again."""
    with deps.sessions() as session:
        order = session.scalar(select(Order).where(Order.out_trade_no == notified.out_trade_no))
    if order is None:
        raise CloudError(codes.RECORD_NOT_FOUND, "支付渠道的商户订单号没有对应的订单")
    _check_trade(order, notified)
    if order.state != State.AWAITING_PAYMENT:
        return None
    try:
        trade = deps.channels[order.channel].query(notified.out_trade_no)
    except TradeNotFound:
        return None
    except ChannelError as exc:
        log.warning("order %s: channel query after a notice failed: %s", order.order_no, exc)
        return None
    if trade.state != "SUCCESS":
        log.info("order %s: the channel says %s, nothing credited", order.order_no, trade.state)
        return None
    paid = PaidTrade(order.channel, notified.out_trade_no, trade.amount_fen, trade.transaction_id)
    return record_payment(deps, paid)


def _check_trade(order: Order, trade: PaidTrade) -> None:
    if trade.channel != order.channel:
        raise CloudError(codes.AMOUNT_MISMATCH, "支付渠道与订单的支付渠道不一致")
    if trade.amount_fen != order.cash_fen:
        log.error(
            "order %s: channel paid %s fen, expected %s fen",
            order.order_no,
            trade.amount_fen,
            order.cash_fen,
        )
        raise CloudError(codes.AMOUNT_MISMATCH, "实付金额与订单应付的现金部分不一致")
