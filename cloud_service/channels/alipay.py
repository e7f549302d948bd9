"""The Alipay open API channel, through python-alipay-sdk (module ``alipay``), RSA2 keys.

Amounts are fen everywhere here; yuan strings with two decimals only on the wire.

Inside the Alipay app (the service window), for the sign-in and pay paths built on this:
- ``authorize_url(redirect_uri, state)``: where the page sends the patient
  (ALIPAY_OAUTH_URL, scope auth_base); Alipay comes back to redirect_uri with
  ``auth_code`` and the state unchanged (check the state: it is the CSRF guard).
- ``oauth_user(auth_code) -> str``: alipay.system.oauth.token; the buyer's user_id, or the
  open_id where the app is given open_ids. A refused code raises ChannelRejected whose
  ``code`` is Alipay's sub_code (isv.code-invalid: wrong, used, expired or another app's);
  transport failures raise ChannelUnavailable / ChannelOutcomeUnknown as every call here.
- ``create_trade(out_trade_no, amount_fen, subject, buyer_id) -> {"out_trade_no",
  "trade_no"}``: alipay.trade.create for that buyer; the page then calls
  ``AlipayJSBridge.call("tradePay", {tradeNO: trade_no}, cb)`` (resultCode 9000 paid,
  6001 cancelled, 4000 failed; only the notification or a query credits the order).
- ``jsbridge_script_url``: empty in production (the Alipay client provides AlipayJSBridge);
  in development the simulator's /jsbridge.js, which the page loads to stand in for it.
"""

from __future__ import annotations

import http.client
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode

import requests
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from cloud_service.channels import bills
from cloud_service.channels.alipay_sdk import TIME_FORMAT, Refusal, ShanghaiAliPay
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
from envelope import clock
from servicekit import money

STATES = {
    "TRADE_SUCCESS": "SUCCESS",
    "TRADE_FINISHED": "SUCCESS",
    "WAIT_BUYER_PAY": "NOTPAY",
    "TRADE_CLOSED": "CLOSED",
}
# Answers that say "the gateway could not tell": the call may or may not have taken effect.
UNKNOWN_CODES = {"20000", "ACQ.SYSTEM_ERROR", "isp.unknow-error"}
_NEVER_CONNECTED = (ConnectionRefusedError, TimeoutError, socket.gaierror)
DEFAULT_OAUTH_URL = "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm"
OAUTH_METHOD = "alipay.system.oauth.token"
_AUTH_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Alipay's auth_codes are made of
_USER_ID = re.compile(r"2088\d{12}")
_OPEN_ID = re.compile(r"[A-Za-z0-9_-]{8,128}")


@dataclass(frozen=True)
class AlipayNotice(ChannelTrade):
    """A verified asynchronous notification: the trade plus what deduplication needs."""

    notify_id: str = ""  # the same on every retry of one notification
    refund_fen: int = 0  # refund_fee: the total refunded so far, when the notice is a refund
    out_biz_no: str = ""  # the refund's out_request_no, when the notice is a refund


def to_yuan(amount_fen: int) -> str:
    """12345 -> "123.45"."""
    return money.fen_to_yuan(amount_fen)


def to_fen(
    text: Any, *, signed: bool = False, error: type[ChannelError] = ChannelOutcomeUnknown
) -> int:
    """ "123.45" -> 12345; anything but plain yuan with at most two decimals raises ``error``
    (an answer or bill not to be trusted, or a notification refused)."""
    try:
        return money.yuan_to_fen(text, signed=signed)
    except money.NotAnAmount as exc:
        raise error(f"Alipay amount not readable: {text!r}") from exc


def _iso(text: str) -> str | None:
    """ "2026-11-26 14:03:00" (Beijing time) -> "2026-11-26T14:03:00+08:00"."""
    if not text:
        return None
    return clock.iso(datetime.strptime(text, TIME_FORMAT).replace(tzinfo=clock.SHANGHAI))


def _call(action: Callable[[], Any]) -> dict[str, Any]:
    """Run one SDK call, mapping transport failures onto the channel exceptions."""
    try:
        data = action()
    except HTTPError as exc:
        if exc.code >= 500:
            raise ChannelOutcomeUnknown(f"Alipay HTTP {exc.code}") from exc
        raise ChannelRejected(exc.code, f"HTTP{exc.code}", str(exc.reason)) from exc
    except URLError as exc:
        # urllib wraps only errors of connecting and sending; a refused or timed-out connect
        # means the gateway never read the request.
        if isinstance(exc.reason, _NEVER_CONNECTED):
            raise ChannelUnavailable(f"Alipay unreachable: {exc.reason}") from exc
        raise ChannelOutcomeUnknown(f"Alipay connection failed: {exc.reason}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise ChannelOutcomeUnknown(f"Alipay answer lost: {exc!r}") from exc
    except AliPayValidationError as exc:
        raise ChannelOutcomeUnknown("Alipay answer signature does not verify") from exc
    except (AliPayException, ValueError) as exc:
        # An unsigned answer (the SDK raises on it) or one that is not JSON: not trusted.
        raise ChannelOutcomeUnknown(f"Alipay answer not trusted: {exc}") from exc
    if not isinstance(data, dict):
        raise ChannelOutcomeUnknown("Alipay answer is not an object")
    return data


def _answer(data: dict[str, Any]) -> dict[str, Any]:
    """The answer of a successful call; a refusal as an exception."""
    code = str(data.get("code", ""))
    if code == "10000":
        return data
    sub_code = str(data.get("sub_code") or code)
    message = str(data.get("sub_msg") or data.get("msg") or "")
    if code in UNKNOWN_CODES or sub_code in UNKNOWN_CODES:
        raise ChannelOutcomeUnknown(f"Alipay {code} {sub_code}: {message}")
    if sub_code == "ACQ.TRADE_NOT_EXIST":
        raise TradeNotFound(200, sub_code, message)
    raise ChannelRejected(200, sub_code, message)


def _state(data: Mapping[str, Any]) -> str:
    status = str(data.get("trade_status", ""))
    paid_at = data.get("send_pay_date") or data.get("gmt_payment")
    if status == "TRADE_CLOSED" and paid_at:
        return "REFUND"  # closed after a full refund: the payer was paid back
    return STATES.get(status, status)


class AlipayChannel:
    """Place, query, close and refund Alipay trades and read their notifications."""

    def __init__(
        self,
        *,
        api_url: str,
        app_id: str,
        app_private_key: str,
        alipay_public_key: str,
        notify_url: str,
        return_url: str = "",
        seller_id: str = "",
        timeout: float = 10.0,
        oauth_url: str = DEFAULT_OAUTH_URL,
        jsbridge_script_url: str = "",
    ) -> None:
        self.api_url = api_url
        self.app_id = app_id
        self.seller_id = seller_id
        self.oauth_url = oauth_url
        self.jsbridge_script_url = jsbridge_script_url  # "" where the Alipay client has one
        self.notify_url = notify_url
        self.return_url = return_url
        self._pay = ShanghaiAliPay(
            appid=app_id,
            app_notify_url=notify_url,
            app_private_key_string=app_private_key,
            alipay_public_key_string=alipay_public_key,
            sign_type="RSA2",
            config=AliPayConfig(timeout=timeout),
        )
        # The SDK only knows the production and the sandbox gateways (chosen by debug=);
        # the simulator, or a dedicated gateway a hospital is given, needs another address.
        self._pay._gateway = api_url

    def _trade(
        self, data: Mapping[str, Any], error: type[ChannelError] = ChannelOutcomeUnknown
    ) -> ChannelTrade:
        return ChannelTrade(
            out_trade_no=str(data.get("out_trade_no", "")),
            state=_state(data),
            amount_fen=to_fen(data.get("total_amount"), error=error),
            transaction_id=str(data.get("trade_no", "")),
            mchid=str(data.get("seller_id") or self.seller_id),
            appid=str(data.get("app_id") or self.app_id),
            success_time=_iso(str(data.get("send_pay_date") or data.get("gmt_payment") or "")),
        )

    def create_h5(
        self, out_trade_no: str, amount_fen: int, description: str, timeout_express: str = "30m"
    ) -> dict[str, str]:
        """A wap.pay link: {"out_trade_no", "h5_url"}, the signed gateway URL the payer opens.

        Nothing is sent to Alipay here: the trade exists once the payer opens the link, so
        until then query() raises TradeNotFound (the order is simply not paid yet)."""
        signed = self._pay.api_alipay_trade_wap_pay(
            subject=description,
            out_trade_no=out_trade_no,
            total_amount=to_yuan(amount_fen),
            return_url=return_to(self.return_url, out_trade_no) or None,
            notify_url=self.notify_url,
            timeout_express=timeout_express,
        )
        return {"out_trade_no": out_trade_no, "h5_url": f"{self.api_url}?{signed}"}

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """The service-window authorization (scope auth_base) that returns to redirect_uri
        with auth_code and ``state``."""
        query = {"app_id": self.app_id, "scope": "auth_base", "redirect_uri": redirect_uri}
        return f"{self.oauth_url}?{urlencode({**query, 'state': state})}"

    def oauth_user(self, auth_code: str) -> str:
        """alipay.system.oauth.token for the auth_code: the buyer's user_id, else open_id.

        A refused code raises ChannelRejected with Alipay's sub_code as ``code``."""
        if not isinstance(auth_code, str) or not _AUTH_CODE.fullmatch(auth_code):
            raise ChannelRejected(400, "isv.code-invalid", "授权码格式不正确")

        def exchange() -> Any:
            try:
                return self._pay.server_api(
                    OAUTH_METHOD, grant_type="authorization_code", code=auth_code
                )
            except Refusal as exc:  # unsigned refusals too: believing one only refuses
                return exc.answer

        data = _answer(_call(exchange))
        user_id, open_id = str(data.get("user_id") or ""), str(data.get("open_id") or "")
        if _USER_ID.fullmatch(user_id):
            return user_id
        if _OPEN_ID.fullmatch(open_id):
            return open_id
        raise ChannelOutcomeUnknown("Alipay oauth answer names no user")

    def create_trade(
        self,
        out_trade_no: str,
        amount_fen: int,
        subject: str,
        buyer_id: str,
        timeout_express: str = "30m",
    ) -> dict[str, str]:
        """alipay.trade.create for the buyer oauth_user answered (a user_id or an open_id):
        {"out_trade_no", "trade_no"}, the trade_no the page hands to tradePay."""
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
            raise ValueError(f"amount must be a positive number of fen, not {amount_fen!r}")
        buyer = "buyer_id" if _USER_ID.fullmatch(buyer_id) else "buyer_open_id"
        data = _answer(
            _call(
                lambda: self._pay.api_alipay_trade_create(
                    subject=subject,
                    out_trade_no=out_trade_no,
                    total_amount=to_yuan(amount_fen),
                    notify_url=self.notify_url,
                    timeout_express=timeout_express,
                    **{buyer: buyer_id},
                )
            )
        )
        trade_no = str(data.get("trade_no") or "")
        if not trade_no or str(data.get("out_trade_no", out_trade_no)) != out_trade_no:
            raise ChannelOutcomeUnknown("Alipay trade.create answer names another trade")
        return {"out_trade_no": out_trade_no, "trade_no": trade_no}

    def query(self, out_trade_no: str) -> ChannelTrade:
        """The trade by our order number; TradeNotFound when Alipay has none."""
        data = _call(lambda: self._pay.api_alipay_trade_query(out_trade_no=out_trade_no))
        return self._trade(_answer(data))

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade; TradeNotFound when the payer never opened it."""
        _answer(_call(lambda: self._pay.api_alipay_trade_close(out_trade_no=out_trade_no)))

    def refund(
        self, out_trade_no: str, out_request_no: str, amount_fen: int, reason: str
    ) -> dict[str, Any]:
        """Refund once per out_request_no: {"out_trade_no", "out_request_no", "trade_no",
        "fund_change" (True when money moved on this call), "refunded_fen" (total so far)}."""
        data = _answer(
            _call(
                lambda: self._pay.api_alipay_trade_refund(
                    refund_amount=to_yuan(amount_fen),
                    out_trade_no=out_trade_no,
                    out_request_no=out_request_no,
                    refund_reason=reason,
                )
            )
        )
        return {
            "out_trade_no": out_trade_no,
            "out_request_no": out_request_no,
            "trade_no": str(data.get("trade_no", "")),
            "fund_change": data.get("fund_change") == "Y",
            "refunded_fen": to_fen(data.get("refund_fee") or "0.00"),
        }

    def refund_query(self, out_trade_no: str, out_request_no: str) -> int | None:
        """The amount in fen refunded under out_request_no, or None when there is none."""
        data = _answer(
            _call(
                lambda: self._pay.api_alipay_trade_fastpay_refund_query(
                    out_request_no, out_trade_no=out_trade_no
                )
            )
        )
        return to_fen(data["refund_amount"]) if data.get("refund_amount") else None

    def find_refund(self, out_trade_no: str, out_refund_no: str) -> ChannelRefund | None:
        """The refund under out_refund_no (Alipay's out_request_no), or None."""
        refunded = self.refund_query(out_trade_no, out_refund_no)
        if refunded is None:
            return None
        return ChannelRefund(out_trade_no, out_refund_no, "SUCCESS", refunded, "")

    def make_refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> ChannelRefund:
        """Refund once per out_refund_no; Alipay refunds synchronously (SUCCESS or a refusal)."""
        answer = self.refund(out_trade_no, out_refund_no, amount_fen, reason)
        return ChannelRefund(out_trade_no, out_refund_no, "SUCCESS", amount_fen, answer["trade_no"])

    def bill_url(self, bill_date: str, bill_type: str = "trade") -> str:
        """Where the bill of a day (yyyy-MM-dd) can be downloaded."""
        data = _answer(
            _call(
                lambda: self._pay.server_api(
                    "alipay.data.dataservice.bill.downloadurl.query",
                    {"bill_type": bill_type, "bill_date": bill_date},
                )
            )
        )
        return str(data["bill_download_url"])

    def trade_bill(self, bill_date: str) -> list[BillRow]:
        """The day's payments and refunds (yyyy-MM-dd) from the downloaded trade bill."""
        url = self.bill_url(bill_date)
        try:
            answer = requests.get(url, timeout=(2.0, 30.0))
        except requests.ConnectionError as exc:
            raise ChannelUnavailable(f"Alipay bill unreachable: {exc}") from exc
        except requests.RequestException as exc:
            raise ChannelOutcomeUnknown(f"Alipay bill download failed: {exc}") from exc
        if answer.status_code != 200:
            raise ChannelOutcomeUnknown(f"Alipay bill download answered {answer.status_code}")
        return bills.read(bills.ALIPAY, answer.content, merchant=self.seller_id)

    def parse_notification(self, form: Mapping[str, str]) -> AlipayNotice:
        """Verify and check an asynchronous notification; NotificationRejected if not ours.

        The answer carries notify_id (the same on every retry) for deduplication."""
        fields = dict(form)
        signature = fields.pop("sign", "")
        if not signature:
            raise NotificationRejected("notification has no sign")
        try:
            verified = self._pay.verify(dict(fields), signature)
        except Exception as exc:  # wrong sign_type, undecodable base64
            raise NotificationRejected(f"notification not verifiable: {exc}") from exc
        if not verified:
            raise NotificationRejected("notification signature does not verify")
        if fields.get("app_id") != self.app_id:
            raise NotificationRejected("notification is for another app")
        if self.seller_id and fields.get("seller_id") != self.seller_id:
            raise NotificationRejected("notification is for another seller")
        if fields.get("notify_type") != "trade_status_sync":
            raise NotificationRejected(f"unexpected notify_type {fields.get('notify_type')}")
        trade = self._trade(fields, NotificationRejected)
        refund_fee = fields.get("refund_fee")  # only a refund's notice carries it
        return AlipayNotice(
            **trade.__dict__,
            notify_id=fields.get("notify_id", ""),
            refund_fen=to_fen(refund_fee, error=NotificationRejected) if refund_fee else 0,
            out_biz_no=fields.get("out_biz_no", ""),
        )


__all__ = ["AlipayChannel", "AlipayNotice"]
