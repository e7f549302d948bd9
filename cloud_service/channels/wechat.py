"""The WeChat Pay API v3 channel, through the wechatpayv3 library (public-key mode): orders,
query and close, refunds and refund query, the trade bill, and notifications; and the
official account's web authorization.

Inside WeChat (DESIGN 11) the cloud offers:
- ``authorize_url(redirect_uri, state)``: where the patient's page sends the browser
  (snsapi_base); WeChat comes back to ``redirect_uri?code=..&state=..``.
- ``oauth_openid(code) -> openid``: the code exchanged at WECHAT_OAUTH_API_URL with the
  AppSecret; refusals are ChannelRejected with WeChat's errcode as ``code`` (see
  wechat_oauth).
- ``create_jsapi(out_trade_no, amount_fen, description, openid)``: a JSAPI order for that
  openid; ``pay_params`` is exactly what ``WeixinJSBridge.invoke('getBrandWCPayRequest',
  pay_params, callback)`` takes: appId, timeStamp, nonceStr, package "prepay_id=...",
  signType "RSA", paySign (SHA256withRSA over "appId\ntimeStamp\nnonceStr\npackage\n"
  with the merchant key, by wechatpayv3's own ``sign``). The callback's ``err_msg`` is
  get_brand_wcpay_request:ok / :cancel / :fail; only the notification or a query credits.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from wechatpayv3 import WeChatPay, WeChatPayType

from cloud_service.channels import bills
from cloud_service.channels.base import (
    BillRow,
    ChannelError,
    ChannelOutcomeUnknown,
    ChannelRefund,
    ChannelRejected,
    ChannelTrade,
    ChannelUnavailable,
    NotificationRejected,
    TradeNotFound,
    return_to,
)
from cloud_service.channels.wechat_oauth import (
    DEFAULT_OAUTH_API_URL,
    DEFAULT_OAUTH_URL,
    WeChatOAuth,
)
from servicekit import money

NOTIFY_HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)
MAX_NOTIFY_SKEW_SECONDS = 300
# What a REFUND.* notification may report (its event type is REFUND.<the same word>).
REFUND_OUTCOMES = frozenset({"SUCCESS", "CLOSED", "ABNORMAL"})
Timeout = float | tuple[float, float]


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the connection was never made, so the request cannot have arrived."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _call(action: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Run one library call, mapping transport failures onto the channel exceptions."""
    try:
        return action()
    except requests.ConnectionError as exc:
        if _never_connected(exc):
            raise ChannelUnavailable(f"WeChat Pay unreachable: {exc}") from exc
        raise ChannelOutcomeUnknown(f"WeChat Pay connection cut: {exc}") from exc
    except requests.Timeout as exc:
        raise ChannelOutcomeUnknown(f"WeChat Pay answer timed out: {exc}") from exc
    except requests.RequestException as exc:
        raise ChannelOutcomeUnknown(f"WeChat Pay call failed: {exc}") from exc
    except Exception as exc:
        # wechatpayv3 raises a bare Exception when a 2xx answer's signature does not verify.
        raise ChannelOutcomeUnknown(f"WeChat Pay answer not trusted: {exc}") from exc


def _answer(status: int, text: Any) -> dict[str, Any]:
    """The JSON of a 2xx answer; a refusal or a server error as an exception."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if 200 <= status < 300:
        return data
    code, message = str(data.get("code", "")), str(data.get("message", text))
    if status >= 500:
        raise ChannelOutcomeUnknown(f"WeChat Pay {status} {code}: {message}")
    if code == "ORDER_NOT_EXIST":
        raise TradeNotFound(status, code, message)
    raise ChannelRejected(status, code, message)


def _amount(
    data: Mapping[str, Any], name: str, error: type[ChannelError], required: bool = True
) -> int:
    """data["amount"][name] as fen; a float, a string or (when required) a missing amount
    raises ``error``."""
    amount = data.get("amount")
    value = amount.get(name) if isinstance(amount, dict) else None
    if value is None and not required:
        return 0
    try:
        return money.whole_fen(value)
    except money.NotAnAmount as exc:
        raise error(f"WeChat Pay amount.{name} not readable: {exc}") from exc


def _trade(
    data: Mapping[str, Any], error: type[ChannelError] = ChannelOutcomeUnknown
) -> ChannelTrade:
    state = str(data.get("trade_state", ""))
    # A query answers the amount only once paid (WeChat Pay's reference: "当支付成功时返回");
    # a notification always carries it, and parse_notification asks for it.
    paid = state in ("SUCCESS", "REFUND")
    return ChannelTrade(
        out_trade_no=str(data.get("out_trade_no", "")),
        state=state,
        amount_fen=_amount(data, "total", error, required=paid),
        transaction_id=str(data.get("transaction_id", "")),
        mchid=str(data.get("mchid", "")),
        appid=str(data.get("appid", "")),
        success_time=data.get("success_time") or None,
    )


def _refund(
    data: Mapping[str, Any],
    status_field: str = "status",
    error: type[ChannelError] = ChannelOutcomeUnknown,
) -> ChannelRefund:
    return ChannelRefund(
        out_trade_no=str(data.get("out_trade_no", "")),
        out_refund_no=str(data.get("out_refund_no", "")),
        status=str(data.get(status_field, "")),
        amount_fen=_amount(data, "refund", error),
        refund_id=str(data.get("refund_id", "")),
        success_time=data.get("success_time") or None,
    )


class WeChatPayChannel:
    """Place, query, close and refund WeChat Pay orders, fetch bills, read notifications."""

    def __init__(
        self,
        *,
        api_url: str,
        mchid: str,
        appid: str,
        apiv3_key: str,
        merchant_serial_no: str,
        merchant_private_key: str,
        public_key_id: str,
        public_key: str,
        notify_url: str,
        refund_notify_url: str = "",
        timeout: Timeout = (3.0, 10.0),
        app_secret: str = "",
        oauth_url: str = DEFAULT_OAUTH_URL,
        oauth_api_url: str = DEFAULT_OAUTH_API_URL,
        return_url: str = "",
    ) -> None:
        self.mchid = mchid
        # where the H5 cashier sends the payer back: "{out_trade_no}" names the order
        self.return_url = return_url
        self.appid = appid
        self._oauth = WeChatOAuth(
            appid=appid,
            app_secret=app_secret,
            call=_call,
            oauth_url=oauth_url,
            oauth_api_url=oauth_api_url,
            timeout=timeout,
        )
        self.notify_url = notify_url
        self.refund_notify_url = refund_notify_url or notify_url.rstrip("/") + "/refund"
        self._pay = WeChatPay(
            wechatpay_type=WeChatPayType.H5,
            mchid=mchid,
            private_key=merchant_private_key,
            cert_serial_no=merchant_serial_no,
            appid=appid,
            apiv3_key=apiv3_key,
            notify_url=notify_url,
            timeout=timeout,
            public_key=public_key,
            public_key_id=public_key_id,
        )
        # wechatpayv3 hard-codes https://api.mch.weixin.qq.com and has no option for another
        # host; the simulator (and api2.mch.weixin.qq.com, the backup host) need one.
        self._pay._core._gate_way = api_url.rstrip("/")

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """The official account's snsapi_base authorize URL for this redirect and state."""
        return self._oauth.authorize_url(redirect_uri, state)

    def oauth_openid(self, code: str) -> str:
        """The openid of the WeChat user whose authorize code this is (single use)."""
        return self._oauth.openid(code)

    def create_h5(
        self,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        payer_client_ip: str = "127.0.0.1",
    ) -> dict[str, str]:
        """Place an H5 order: {"out_trade_no", "h5_url"} (the cashier the payer opens, with
        ``redirect_url`` appended as WeChat takes it, so the payer comes back to the page)."""
        status, text = _call(
            lambda: self._pay.pay(
                description=description,
                out_trade_no=out_trade_no,
                amount={"total": amount_fen, "currency": "CNY"},
                scene_info={"payer_client_ip": payer_client_ip, "h5_info": {"type": "Wap"}},
                pay_type=WeChatPayType.H5,
            )
        )
        h5_url = str(_answer(status, text)["h5_url"])
        back = return_to(self.return_url, out_trade_no)
        if back:
            h5_url += ("&" if "?" in h5_url else "?") + urlencode({"redirect_url": back})
        return {"out_trade_no": out_trade_no, "h5_url": h5_url}

    def create_jsapi(
        self, out_trade_no: str, amount_fen: int, description: str, openid: str
    ) -> dict[str, Any]:
        """Place a JSAPI order for ``openid`` (from oauth_openid): {"out_trade_no",
        "prepay_id", "pay_params"}, pay_params being getBrandWCPayRequest's six fields."""
        status, text = _call(
            lambda: self._pay.pay(
                description=description,
                out_trade_no=out_trade_no,
                amount={"total": amount_fen, "currency": "CNY"},
                payer={"openid": openid},
                pay_type=WeChatPayType.JSAPI,
            )
        )
        prepay_id = _answer(status, text).get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise ChannelOutcomeUnknown("WeChat Pay JSAPI answer has no prepay_id")
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        pay_sign = self._pay.sign([self.appid, timestamp, nonce, package])
        return {
            "out_trade_no": out_trade_no,
            "prepay_id": prepay_id,
            "pay_params": {
                "appId": self.appid,
                "timeStamp": timestamp,
                "nonceStr": nonce,
                "package": package,
                "signType": "RSA",
                "paySign": pay_sign,
            },
        }

    def query(self, out_trade_no: str) -> ChannelTrade:
        """The trade by our order number; TradeNotFound when WeChat Pay never got it."""
        status, text = _call(lambda: self._pay.query(out_trade_no=out_trade_no))
        return _trade(_answer(status, text))

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade (WeChat Pay answers 204; closing twice is harmless)."""
        status, text = _call(lambda: self._pay.close(out_trade_no=out_trade_no))
        _answer(status, text)

    def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> ChannelRefund:
        """Ask for a refund by the original route; the same out_refund_no refunds once."""
        status, text = _call(
            lambda: self._pay.refund(
                out_refund_no=out_refund_no,
                amount={"refund": amount_fen, "total": total_fen, "currency": "CNY"},
                out_trade_no=out_trade_no,
                reason=reason or None,
                notify_url=self.refund_notify_url,
            )
        )
        return _refund(_answer(status, text))

    def refund_query(self, out_refund_no: str) -> ChannelRefund | None:
        """The refund by our refund number, or None when WeChat Pay has none."""
        status, text = _call(lambda: self._pay.query_refund(out_refund_no=out_refund_no))
        try:
            return _refund(_answer(status, text))
        except ChannelRejected as exc:
            if exc.code == "RESOURCE_NOT_EXISTS":
                return None
            raise

    def find_refund(self, out_trade_no: str, out_refund_no: str) -> ChannelRefund | None:
        """The refund under out_refund_no, or None (the interface refunds.py uses)."""
        return self.refund_query(out_refund_no)

    def make_refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> ChannelRefund:
        """Refund once per out_refund_no (the interface refunds.py uses)."""
        return self.refund(out_trade_no, out_refund_no, amount_fen, total_fen, reason)

    def trade_bill(self, bill_date: str) -> list[BillRow]:
        """The day's payments and refunds (yyyy-MM-dd); [] for a day without trades.

        The file is downloaded gzip-compressed and checked against its SHA1 hash_value."""
        status, text = _call(
            lambda: self._pay.trade_bill(bill_date=bill_date, bill_type="ALL", tar_type="GZIP")
        )
        try:
            applied = _answer(status, text)
        except ChannelRejected as exc:
            if exc.code == "NO_STATEMENT_EXIST":
                return []
            raise
        status, content = _call(lambda: self._pay.download_bill(str(applied["download_url"])))
        if not isinstance(content, bytes) or not 200 <= status < 300:
            _answer(status, content)
            raise ChannelOutcomeUnknown("trade bill download answered no file")
        return bills.read(
            bills.WECHAT, content, sha1_hex=str(applied["hash_value"]), merchant=self.mchid
        )

    def _event(self, headers: Mapping[str, str], body: bytes, prefix: str) -> dict[str, Any]:
        """Verify the signature and freshness, decrypt the resource, check the event type."""
        lowered = {key.lower(): value for key, value in headers.items()}
        # wechatpayv3 looks the headers up by exact name; hand them over spelled its way.
        canonical = {name: lowered.get(name.lower(), "") for name in NOTIFY_HEADERS}
        try:
            sent_at = int(canonical["Wechatpay-Timestamp"])
        except ValueError as exc:
            raise NotificationRejected("notification has no valid Wechatpay-Timestamp") from exc
        if abs(time.time() - sent_at) > MAX_NOTIFY_SKEW_SECONDS:
            raise NotificationRejected("notification timestamp is more than 5 minutes off")
        try:
            event = self._pay.callback(canonical, body)
        except Exception as exc:
            raise NotificationRejected(f"notification not readable: {exc}") from exc
        if not event or not isinstance(event.get("resource"), dict):
            raise NotificationRejected("notification signature or decryption failed")
        if not str(event.get("event_type", "")).startswith(prefix):
            raise NotificationRejected(f"unexpected event type {event.get('event_type')}")
        return dict(event)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> ChannelTrade:
        """Verify, decrypt and check a payment notification; NotificationRejected if not ours.

        Its trade_state is returned as sent: only SUCCESS may credit the order."""
        resource = self._event(headers, body, "TRANSACTION.SUCCESS")["resource"]
        trade = _trade(resource, NotificationRejected)
        if trade.mchid != self.mchid or trade.appid != self.appid:
            raise NotificationRejected("notification is for another merchant or app")
        amount = resource.get("amount")
        if not isinstance(amount, dict) or amount.get("currency") != "CNY":
            raise NotificationRejected("notification amount is not in CNY")
        _amount(resource, "total", NotificationRejected)  # whatever its state, it has one
        if not trade.out_trade_no or (trade.paid and not trade.transaction_id):
            raise NotificationRejected("notification names no out_trade_no or transaction_id")
        return trade

    def parse_refund_notification(self, headers: Mapping[str, str], body: bytes) -> ChannelRefund:
        """Verify, decrypt and check a REFUND.* notification; NotificationRejected if not ours.

        Only the refund query decides the refund's fate; the notice just says when to ask."""
        event = self._event(headers, body, "REFUND.")
        resource = event["resource"]
        if resource.get("mchid") != self.mchid:
            raise NotificationRejected("refund notification is for another merchant")
        status = resource.get("refund_status")
        if status not in REFUND_OUTCOMES or event.get("event_type") != f"REFUND.{status}":
            raise NotificationRejected(f"refund notification has refund_status {status!r}")
        refund = _refund(resource, "refund_status", NotificationRejected)
        if not refund.out_trade_no or not refund.out_refund_no:
            raise NotificationRejected("refund notification names no out_trade_no or refund")
        return refund
