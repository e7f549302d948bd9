"""Payment channels' asynchronous notifications: verified, deduplicated, amount-checked.

Each channel expects its own answer: WeChat Pay a 204 (or 4xx/5xx with FAIL), Alipay the
exact body ``success`` (anything else makes it retry).

Deduplication is a lock held by the database: the notice's id is inserted as the primary
key of ``channel_notices`` in the same transaction as the guarded AWAITING_PAYMENT -> PAID
update, so of two deliveries racing, the second waits on the first's row and then fails
its insert (a no-op), and a notice refused for its amount leaves no row behind.

Only money the channel took is credited. A signed WeChat notice whose trade_state is not
SUCCESS is acknowledged, and the channel is queried before answering (such a notice is rare,
and a slow query only makes WeChat Pay deliver it again); its query answer decides.
"""

from __future__ import annotations

import logging
from typing import cast

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from cloud_service.api.context import deps
from cloud_service.channels.alipay import AlipayChannel
from cloud_service.channels.base import ChannelError, ChannelTrade
from cloud_service.channels.wechat import WeChatPayChannel
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order
from cloud_service.saga import worker
from cloud_service.saga.payments import PaidTrade, credit_per_query, record_payment

log = logging.getLogger(__name__)

bp = Blueprint("notify", __name__, url_prefix="/api/v1/notify")


@bp.post("/wechat")
def wechat() -> Response | tuple[Response, int]:
    """WeChat Pay's TRANSACTION.SUCCESS: 204 when taken, already taken or not crediting
    (a trade_state other than SUCCESS); FAIL when not ours or not what the order asked."""
    built = deps()
    channel = cast(WeChatPayChannel, built.channels["WECHAT"])
    try:
        trade = channel.parse_notification(dict(request.headers), request.get_data(cache=False))
        if trade.paid:
            _take(built, "WECHAT", trade, f"WECHAT:{trade.transaction_id}")
        else:
            # Signed, yet not SUCCESS: acknowledged so WeChat Pay stops, never credited as
            # sent; the channel's own query decides whether the order was paid.
            log.warning("wechat notification says %s for %s", trade.state, trade.out_trade_no)
            _drive(built, credit_per_query(built, _paid_trade("WECHAT", trade)))
    except (ChannelError, CloudError) as exc:
        log.warning("wechat notification not taken: %s", exc)
        return _wechat_fail()
    return Response(status=204)


def _wechat_fail() -> tuple[Response, int]:
    """WeChat Pay's refusal: 4xx with code FAIL; it delivers the notification again later."""
    return jsonify(code="FAIL", message="失败：通知未被接受"), 400


@bp.post("/wechat/refund")
def wechat_refund() -> Response | tuple[Response, int]:
    """WeChat Pay's REFUND.*: verified, then the order's refund step runs (it queries)."""
    built = deps()
    channel = cast(WeChatPayChannel, built.channels["WECHAT"])
    try:
        refund = channel.parse_refund_notification(
            dict(request.headers), request.get_data(cache=False)
        )
    except ChannelError as exc:
        log.warning("wechat refund notification not taken: %s", exc)
        return _wechat_fail()
    log.info("wechat refund %s is %s", refund.out_refund_no, refund.status)
    _drive(built, _order_no_of(built, refund.out_trade_no))
    return Response(status=204)


@bp.post("/alipay")
def alipay() -> Response:
    """Alipay's trade_status_sync: ``success`` when taken (or already taken), else ``fail``."""
    built = deps()
    channel = cast(AlipayChannel, built.channels["ALIPAY"])
    try:
        notice = channel.parse_notification(request.form.to_dict())
        if notice.refund_fen > 0 or notice.out_biz_no:
            # A refund's notice: the refund step queries the refund itself.
            _drive(built, _order_no_of(built, notice.out_trade_no))
        elif notice.state == "SUCCESS":
            _take(built, "ALIPAY", notice, f"ALIPAY:{notice.notify_id}")
    except (ChannelError, CloudError) as exc:
        log.warning("alipay notification not taken: %s", exc)
        return Response("fail", content_type="text/plain")
    return Response("success", content_type="text/plain")


def _paid_trade(channel: str, trade: ChannelTrade, notice_id: str | None = None) -> PaidTrade:
    return PaidTrade(
        channel, trade.out_trade_no, trade.amount_fen, trade.transaction_id, notice_id=notice_id
    )


def _take(built: Deps, channel: str, trade: ChannelTrade, notice_id: str) -> None:
    _drive(built, record_payment(built, _paid_trade(channel, trade, notice_id)))


def _order_no_of(built: Deps, out_trade_no: str) -> str | None:
    with built.sessions() as session:
        return session.scalar(select(Order.order_no).where(Order.out_trade_no == out_trade_no))


def _drive(built: Deps, order_no: str | None) -> None:
    """Advance the order right after answering; on any failure the worker picks it up."""
    if order_no is None:
        return
    try:
        worker.drive_soon(built, order_no)
    except Exception:  # the channel need not retry for our own trouble
        log.exception("driving order %s after a notification failed", order_no)
