"""Payment channels' asynchronous notifications: verified, deduplicated, amount-checked.

Each channel expects its own answer: WeChat Pay a 204 (or 4xx/5xx with FAIL), Alipay the
exact body ``success`` (anything else makes it retry).
"""

from __future__ import annotations

import logging
from typing import cast

from flask import Blueprint, Response, jsonify, request

from cloud_service import worker
from cloud_service.api.context import deps
from cloud_service.channels.alipay import AlipayChannel
from cloud_service.channels.base import ChannelError, ChannelTrade
from cloud_service.channels.wechat import WeChatPayChannel
from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.payment import PaidTrade, record_payment

log = logging.getLogger(__name__)

bp = Blueprint("notify", __name__, url_prefix="/api/v1/notify")


@bp.post("/wechat")
def wechat() -> Response | tuple[Response, int]:
    """WeChat Pay's TRANSACTION.SUCCESS: 204 when taken (or already taken), else FAIL."""
    built = deps()
    channel = cast(WeChatPayChannel, built.channels["WECHAT"])
    try:
        trade = channel.parse_notification(dict(request.headers), request.get_data(cache=False))
        _take(built, "WECHAT", trade, f"WECHAT:{trade.transaction_id}")
    except (ChannelError, CloudError) as exc:
        log.warning("wechat notification not taken: %s", exc)
        return jsonify(code="FAIL", message="notification not taken"), 400
    return Response(status=204)


@bp.post("/alipay")
def alipay() -> Response:
    """Alipay's trade_status_sync: ``success`` when taken (or already taken), else ``fail``."""
    built = deps()
    channel = cast(AlipayChannel, built.channels["ALIPAY"])
    try:
        notice = channel.parse_notification(request.form.to_dict())
        if notice.state == "SUCCESS":
            _take(built, "ALIPAY", notice, f"ALIPAY:{notice.notify_id}")
    except (ChannelError, CloudError) as exc:
        log.warning("alipay notification not taken: %s", exc)
        return Response("fail", content_type="text/plain")
    return Response("success", content_type="text/plain")


def _take(built: Deps, channel: str, trade: ChannelTrade, notice_id: str) -> None:
    order_no = record_payment(
        built,
        PaidTrade(
            channel, trade.out_trade_no, trade.amount_fen, trade.transaction_id, notice_id=notice_id
        ),
    )
    if order_no is None:
        return
    try:
        worker.drive(built, order_no)
    except Exception:  # the worker picks the order up again; the channel need not retry
        log.exception("driving order %s after payment failed", order_no)
