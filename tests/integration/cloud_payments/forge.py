"""Notifications built, signed and sealed as the channels' platforms do (the simulators'
own signing code), so a test can send the cloud a genuine-looking notice with any contents."""

from __future__ import annotations

import json
import secrets
from typing import Any

from simulators.alipay.signing import load_platform as load_alipay_platform
from simulators.alipay.signing import sign_notification
from simulators.wechatpay.signing import Platform, load_platform, seal_resource, signed_headers
from tests.integration.cloud_payments.conftest import (
    ALIPAY_APP_ID,
    APIV3_KEY,
    APPID,
    MCHID,
    PUBLIC_KEY_ID,
    SELLER_ID,
    SERIAL_NO,
    Cloud,
)

PLATFORM_KEY = "wx_platform_private.pem"


def wechat_platform(cloud: Cloud, private_name: str = PLATFORM_KEY) -> Platform:
    """The WeChat Pay platform's key material (or a forger's, by another private key)."""
    return load_platform(
        private_pem=(cloud.keys / private_name).read_bytes(),
        public_key_id=PUBLIC_KEY_ID,
        merchant_public_pem=(cloud.keys / "wx_merchant_public.pem").read_bytes(),
        mchid=MCHID,
        merchant_serial_no=SERIAL_NO,
        apiv3_key=APIV3_KEY,
    )


def wechat_notice(
    cloud: Cloud,
    resource: dict[str, Any],
    private_name: str = PLATFORM_KEY,
    event_type: str = "TRANSACTION.SUCCESS",
) -> tuple[dict[str, str], bytes]:
    """A notification (headers, body): the resource sealed with the APIv3 key, signed."""
    original_type = "refund" if event_type.startswith("REFUND.") else "transaction"
    event = {
        "id": secrets.token_hex(8),
        "create_time": "2026-11-26T10:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": seal_resource(APIV3_KEY, resource, original_type),
    }
    body = json.dumps(event, ensure_ascii=False).encode()
    headers = signed_headers(wechat_platform(cloud, private_name), body)
    return {**headers, "Content-Type": "application/json"}, body


def wechat_resource(order_no: str, amount_fen: Any, **changed: Any) -> dict[str, Any]:
    """A paid transaction's resource as WeChat Pay sends it, with ``changed`` fields."""
    return {
        "appid": APPID,
        "mchid": MCHID,
        "out_trade_no": order_no,
        "transaction_id": "4200" + secrets.token_hex(8),
        "trade_state": "SUCCESS",
        "success_time": "2026-11-26T10:00:00+08:00",
        "amount": {"total": amount_fen, "currency": "CNY"},
        **changed,
    }


def alipay_form(
    cloud: Cloud, order_no: str, amount: str, private_name: str, **changed: str
) -> dict[str, str]:
    """A trade_status_sync form signed as Alipay does (an empty ``changed`` value drops it)."""
    platform = load_alipay_platform(
        (cloud.keys / private_name).read_bytes(),
        (cloud.keys / "ali_app_public.pem").read_bytes(),
        ALIPAY_APP_ID,
        SELLER_ID,
    )
    fields = {
        "notify_time": "2026-11-26 10:00:00",
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "app_id": ALIPAY_APP_ID,
        "trade_no": "2026" + secrets.token_hex(8),
        "out_trade_no": order_no,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": amount,
        "seller_id": SELLER_ID,
        "gmt_payment": "2026-11-26 10:00:00",
    }
    return sign_notification(platform, {**fields, **changed})
