"""Money arriving from a channel: verified notifications and queried trades both end here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cloud_service import saga
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import ChannelNotice, Order
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
                raise CloudError(codes.RECORD_NOT_FOUND, "no order for this out_trade_no")
            _check_trade(order, trade)
            if order.state != saga.AWAITING_PAYMENT:
                return None
            next_step = "settle" if order.pay_mode == "INSURANCE" else "confirm"
            saga.move(
                session,
                order.order_no,
                saga.AWAITING_PAYMENT,
                saga.PAID,
                note=f"{trade.channel} paid {trade.amount_fen} fen",
                channel_trade_no=trade.channel_trade_no,
                step=next_step,
            )
            return order.order_no
    except IntegrityError:
        log.info("duplicate %s notification ignored", trade.channel)
        return None


def _check_trade(order: Order, trade: PaidTrade) -> None:
    if trade.channel != order.channel:
        raise CloudError(codes.AMOUNT_MISMATCH, "payment came from another channel")
    if trade.amount_fen != order.cash_fen:
        log.error(
            "order %s: channel paid %s fen, expected %s fen",
            order.order_no,
            trade.amount_fen,
            order.cash_fen,
        )
        raise CloudError(codes.AMOUNT_MISMATCH, "paid amount differs from the order's cash part")
