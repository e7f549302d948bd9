"""What every payment channel adapter answers and raises, whatever the channel.

The exceptions separate what the saga must treat differently: a definite refusal, a call
that surely never arrived (safe to retry), and a call whose outcome is unknown (query
before doing anything else; never treat it as failed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote


@dataclass(frozen=True)
class ChannelTrade:
    """A trade as the channel reports it; amounts in fen."""

    out_trade_no: str
    state: str  # the channel's state: SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR
    amount_fen: int
    transaction_id: str
    mchid: str
    appid: str
    success_time: str | None  # ISO 8601 with offset (+08:00) when paid

    @property
    def paid(self) -> bool:
        """True when the channel holds the payer's money for this trade."""
        return self.state == "SUCCESS"


@dataclass(frozen=True)
class ChannelRefund:
    """A refund as the channel reports it; amounts in fen."""

    out_trade_no: str
    out_refund_no: str
    status: str  # SUCCESS, PROCESSING, ABNORMAL or CLOSED (WeChat Pay's words)
    amount_fen: int
    refund_id: str  # the channel's own refund number (may be empty for Alipay)
    success_time: str | None = None

    @property
    def done(self) -> bool:
        """True when the money is back with the payer."""
        return self.status == "SUCCESS"


class BillRow(NamedTuple):
    """One line of a channel's daily bill: a payment, or a refund (kind REFUND). A named
    tuple: a day's bill has as many rows as trades, so each row stays small and quick."""

    kind: str  # PAYMENT or REFUND
    out_trade_no: str
    transaction_id: str
    amount_fen: int  # the payment's amount, or the refund's
    at: str  # "yyyy-MM-dd HH:mm:ss", Beijing time
    out_refund_no: str = ""


class ChannelError(Exception):
    """Something went wrong talking to a payment channel."""


class ChannelRejected(ChannelError):
    """The channel answered and refused: a definite outcome, with its code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class TradeNotFound(ChannelRejected):
    """The channel has no trade with this out_trade_no (it was never created)."""


class ChannelUnavailable(ChannelError):
    """The request never reached the channel (connection refused or connect timeout)."""


class ChannelOutcomeUnknown(ChannelError):
    """The request may have been processed: read timeout, cut connection, a server error
    or an answer whose signature does not verify. Query the trade to learn the outcome."""


class NotificationRejected(ChannelError):
    """A notification failed its signature, decryption or merchant checks."""


def return_to(template: str, out_trade_no: str) -> str:
    """The page an H5 / wap cashier sends the payer back to: the channel's return URL
    template with "{out_trade_no}" filled in ("" when the channel has none)."""
    return template.replace("{out_trade_no}", quote(out_trade_no, safe=""))
