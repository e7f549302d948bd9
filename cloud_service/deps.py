"""What the service layer works with, built once per process by the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from cloud_service.hospital import HospitalPort
from cloud_service.slot_gate import SlotGate
from cloud_service.sms_codes import SmsCodes
from cloud_service.tokens import TokenStore


class PaymentChannel(Protocol):
    """What the saga needs of a payment channel (WeChat Pay, Alipay)."""

    def create_h5(self, out_trade_no: str, amount_fen: int, description: str) -> dict[str, Any]:
        """Create (idempotently) the channel order; the answer holds the cashier URL."""
        ...

    def query(self, out_trade_no: str) -> Any:
        """The channel's view of the trade."""
        ...

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade."""
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
