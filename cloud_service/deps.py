"""What the service layer works with, built once per process by the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from cloud_service.channels.base import BillRow, ChannelRefund, ChannelTrade
from cloud_service.hospital import HospitalPort
from cloud_service.slot_gate import SlotGate
from cloud_service.sms_codes import SmsCodes
from cloud_service.tokens import TokenStore


class PaymentChannel(Protocol):
    """What the cloud calls on any channel of ``Deps.channels`` (WeChatPayChannel and
    AlipayChannel): pay, query and close, refund, the day's bill, the sign-in redirect.

    The calls only one channel has (JSAPI orders, Alipay trades, notifications, code
    exchanges) go through that channel's own class or the Protocols of cloud_service.signin."""

    def create_h5(self, out_trade_no: str, amount_fen: int, description: str) -> dict[str, str]:
        """Create (idempotently) the channel order; the answer holds the cashier URL."""
        ...

    def query(self, out_trade_no: str) -> ChannelTrade:
        """The channel's view of the trade (TradeNotFound when it has none)."""
        ...

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade."""
        ...

    def find_refund(self, out_trade_no: str, out_refund_no: str) -> ChannelRefund | None:
        """The refund under out_refund_no, or None."""
        ...

    def make_refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str
    ) -> ChannelRefund:
        """Refund once per out_refund_no."""
        ...

    def trade_bill(self, bill_date: str) -> list[BillRow]:
        """The channel's trade bill of a day (yyyy-mm-dd), as rows."""
        ...

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """Where the in-app browser signs the patient in, coming back to redirect_uri."""
        ...


class SmsSender(Protocol):
    """Texts a one-time code to a phone (cloud_service.sms; raises the channel errors)."""

    def send_code(self, phone: str, code: str) -> None:
        """Send the code; ChannelUnavailable, ChannelRejected or ChannelOutcomeUnknown."""
        ...


@dataclass(frozen=True)
class Identity:
    """What proves who a patient is: SMS codes, sign-ins and their tokens, the records
    waiting for their code, and the SMS sender."""

    codes: SmsCodes
    tokens: TokenStore
    pending: Redis
    sms: SmsSender


@dataclass(frozen=True)
class Deps:
    """The service layer's dependencies: database, hospital, channels, policy values."""

    sessions: sessionmaker[Session]
    hospital: HospitalPort
    channels: dict[str, PaymentChannel]
    payment_window: timedelta = timedelta(minutes=15)
    slot_gate: SlotGate | None = None  # None: every patient's lock is asked at the HIS
    max_unpaid_locks: int = 3  # unpaid same-day registrations one user may hold at once
    identity: Identity | None = None  # None: nobody can sign in (a worker, a test)
