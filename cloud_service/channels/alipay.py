"""The Alipay open API channel, through python-alipay-sdk (module ``alipay``), RSA2 keys.

Amounts are fen everywhere here; yuan strings with two decimals only on the wire."""

from __future__ import annotations

import csv
import http.client
import io
import socket
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.error import HTTPError, URLError

import requests
from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from cloud_service.channels import money
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
)
from envelope import clock

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
STATES = {
    "TRADE_SUCCESS": "SUCCESS",
    "TRADE_FINISHED": "SUCCESS",
    "WAIT_BUYER_PAY": "NOTPAY",
    "TRADE_CLOSED": "CLOSED",
}
# Answers that say "the gateway could not tell": the call may or may not have taken effect.
UNKNOWN_CODES = {"20000", "ACQ.SYSTEM_ERROR", "isp.unknow-error"}
_NEVER_CONNECTED = (ConnectionRefusedError, TimeoutError, socket.gaierror)


@dataclass(frozen=True)
class AlipayNotice(ChannelTrade):
    """A verified asynchronous notification: the trade plus what deduplication needs."""

    notify_id: str = ""  # the same on every retry of one notification
    refund_fen: int = 0  # refund_fee: the total refunded so far, when the notice is a refund
    out_biz_no: str = ""  # the refund's out_request_no, when the notice is a refund


class _ShanghaiAliPay(AliPay):  # type: ignore[misc]
    """AliPay stamping requests in Beijing time.

    The SDK writes ``timestamp`` with the host's local clock (datetime.now()), but the
    gateway reads it as Beijing time: a host on UTC would be eight hours off."""

    def build_body(self, method: str, biz_content: Any = None, **kwargs: Any) -> dict[str, Any]:
        """The SDK's request parameters with a Beijing-time timestamp."""
        data: dict[str, Any] = super().build_body(method, biz_content, **kwargs)
        data["timestamp"] = clock.now().strftime(TIME_FORMAT)
        return data


def to_yuan(amount_fen: int) -> str:
    """12345 -> "123.45"."""
    return str((Decimal(amount_fen) / 100).quantize(Decimal("0.01")))


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


def _bill_text(content: bytes) -> str:
    """The CSV of a bill download: zipped (the real gateway) or plain, UTF-8 or GBK."""
    if content[:2] == b"PK":
        # The gateway's zip names its files in GBK without saying so (zipfile would read
        # cp437): the detail CSV is told from the summary (汇总) one by its name.
        with zipfile.ZipFile(io.BytesIO(content), metadata_encoding="gbk") as archive:
            names = [n for n in archive.namelist() if "汇总" not in n and n.endswith(".csv")]
            if not names:  # read as an empty bill, every paid order would look missing
                raise ChannelOutcomeUnknown("Alipay bill zip holds no detail CSV")
            content = archive.read(names[0])
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gbk")


# What a broken download raises on its way through unzipping, decoding and the csv module.
_UNREADABLE = (zipfile.BadZipFile, zlib.error, UnicodeDecodeError, csv.Error, ValueError, KeyError)


def read_bill(content: bytes) -> list[BillRow]:
    """The rows of a downloaded bill; a file that cannot be read raises ChannelOutcomeUnknown,
    so reconciliation records the bill as unreadable and goes on."""
    try:
        return parse_bill(_bill_text(content))
    except _UNREADABLE as exc:
        raise ChannelOutcomeUnknown(f"Alipay bill not readable: {exc!r}") from exc


def parse_bill(text: str) -> list[BillRow]:
    """Rows of an Alipay trade bill CSV ('#' lines skipped); refunds have kind REFUND."""
    return list(iter_bill(text.splitlines()))


def iter_bill(lines: Iterable[str]) -> Iterator[BillRow]:
    """The rows of an Alipay trade bill read line by line (a text file will do)."""
    kept = (line for line in lines if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(kept)
    # No header (an empty file, or some other CSV) is no bill: read as one without rows,
    # every order paid that day would be listed as missing at the channel.
    if "商户订单号" not in [name.strip() for name in reader.fieldnames or ()]:
        raise ChannelOutcomeUnknown("Alipay bill has no 商户订单号 column")
    for record in reader:
        cells = {key.strip(): (value or "").strip() for key, value in record.items() if key}
        refund = cells.get("业务类型") == "退款"
        amount = abs(
            to_fen(cells.get("商家实收（元）") or cells.get("订单金额（元）") or "0", signed=True)
        )
        yield BillRow(
            kind="REFUND" if refund else "PAYMENT",
            out_trade_no=cells.get("商户订单号", ""),
            transaction_id=cells.get("支付宝交易号", ""),
            amount_fen=amount,
            at=cells.get("完成时间", ""),
            out_refund_no=cells.get("退款批次号/请求号", "") if refund else "",
        )


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
    ) -> None:
        self.api_url = api_url
        self.app_id = app_id
        self.seller_id = seller_id
        self.notify_url = notify_url
        self.return_url = return_url
        self._pay = _ShanghaiAliPay(
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
            return_url=self.return_url or None,
            notify_url=self.notify_url,
            timeout_express=timeout_express,
        )
        return {"out_trade_no": out_trade_no, "h5_url": f"{self.api_url}?{signed}"}

    def create_qr(self, out_trade_no: str, amount_fen: int, description: str) -> dict[str, str]:
        """A precreate trade: {"out_trade_no", "qr_code"} (the code the payer scans)."""
        data = _answer(
            _call(
                lambda: self._pay.api_alipay_trade_precreate(
                    subject=description,
                    out_trade_no=out_trade_no,
                    total_amount=to_yuan(amount_fen),
                    notify_url=self.notify_url,
                )
            )
        )
        return {"out_trade_no": out_trade_no, "qr_code": str(data["qr_code"])}

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
        return read_bill(answer.content)

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
