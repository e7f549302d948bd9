"""Payment channels' asynchronous notifications: verified, deduplicated, amount-checked."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from cloud_service import worker
from cloud_service.api.context import deps
from cloud_service.channels.base import ChannelError
from cloud_service.errors import CloudError
from cloud_service.payment import PaidTrade, record_payment

log = logging.getLogger(__name__)

bp = Blueprint("notify", __name__, url_prefix="/api/v1/notify")


@bp.post("/wechat")
def wechat() -> tuple[Response, int] | Response:
    """WeChat Pay's TRANSACTION.SUCCESS: 204 when taken (or already taken), else FAIL."""
    built = deps()
    channel = built.channels["WECHAT"]
    try:
        trade = channel.parse_notification(dict(request.headers),  # type: ignore[attr-defined]
                                           request.get_data(cache=False))
        order_no = record_payment(built, PaidTrade(
            "WECHAT", trade.out_trade_no, trade.amount_fen, trade.transaction_id,
            notice_id=f"WECHAT:{trade.transaction_id}"))
    except ChannelError as exc:
        log.warning("wechat notification refused: %s", exc)
        return jsonify(code="FAIL", message="notification not verified"), 401
    except CloudError as exc:
        log.warning("wechat notification not taken: %s", exc.result_msg)
        return jsonify(code="FAIL", message=exc.result_msg), 400
    if order_no is not None:
        try:
            worker.drive(built, order_no)
        except Exception:  # the worker picks the order up again; WeChat need not retry
            log.exception("driving order %s after payment failed", order_no)
    return Response(status=204)
