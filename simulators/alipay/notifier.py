"""Asynchronous notifications: queued in the database as signed forms, POSTed by a
background thread in every worker, retried on Alipay's schedule (4m, 10m, 10m, 1h, 2h,
6h, 15h) with the same notify_id until the merchant answers exactly ``success``.

Each due row is leased in a transaction before it is sent, so several gunicorn workers
share one queue without sending a notification twice at once."""

from __future__ import annotations

import json
import logging
import secrets

from sqlalchemy.orm import Session

from simulators.alipay.models import Notification, Refund, Trade
from simulators.alipay.signing import Platform, sign_notification
from simulators.alipay.trades import now_text, yuan
from simulators.delivery import Deliveries, queued

log = logging.getLogger("simulators.alipay.notifier")
ACKNOWLEDGEMENT = "success"


def notice_fields(platform: Platform, trade: Trade, refund: Refund | None) -> dict[str, str]:
    """The trade_status_sync form fields of a paid (or refunded) trade, unsigned."""
    amount = yuan(trade.amount_fen)
    fields = {
        "notify_time": now_text(),
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "app_id": trade.app_id,
        "auth_app_id": trade.app_id,
        "charset": "utf-8",
        "version": "1.0",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "trade_status": trade.trade_status,
        "subject": trade.subject,
        "total_amount": amount,
        "receipt_amount": amount,
        "invoice_amount": amount,
        "buyer_pay_amount": amount,
        "point_amount": "0.00",
        "gmt_create": trade.gmt_create,
        "gmt_payment": trade.gmt_payment,
        "gmt_close": trade.gmt_close,
        "seller_id": platform.seller_id,
        "buyer_id": trade.buyer_user_id,
        "buyer_logon_id": trade.buyer_logon_id,
        "fund_bill_list": json.dumps(
            [{"amount": amount, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
        ),
    }
    if refund is not None:
        fields.update(
            out_biz_no=refund.out_request_no,
            refund_fee=yuan(trade.refunded_fen),
            gmt_refund=refund.gmt_refund_pay + ".000",
        )
    return fields


def enqueue(
    session: Session, platform: Platform, trade: Trade, refund: Refund | None = None
) -> Notification | None:
    """Queue the signed notification of a trade's change, due at once (none without a
    notify_url, as with the real gateway)."""
    if not trade.notify_url:
        return None
    form = sign_notification(platform, notice_fields(platform, trade, refund))
    notification: Notification = queued(
        Notification,
        notify_id=form["notify_id"],
        out_trade_no=trade.out_trade_no,
        notify_url=trade.notify_url,
        form=json.dumps(form, ensure_ascii=False),
    )
    session.add(notification)
    return notification


class Notifier(Deliveries):
    """Alipay's deliveries: the signed form; only an answer of exactly ``success`` stops them."""

    channel = "alipay"
    model = Notification
    key_field = "notify_id"  # the same on every retry
    payload_field = "form"  # the form as stored (JSON)

    def deliver(self, url: str, payload: str) -> tuple[bool, str]:
        """Post the form; anything but exactly ``success`` means try again later."""
        answer = self.post(url, data=json.loads(payload))
        if isinstance(answer, str):
            return False, answer
        if answer.status_code == 200 and answer.text == ACKNOWLEDGEMENT:
            return True, ACKNOWLEDGEMENT
        return False, f"{answer.status_code} {answer.text[:40]}"
