"""The simulator's tables: trades, refunds, trade bills, pending notifications, injected
faults and web-authorization codes (SQLite by default, so several gunicorn workers see one
state)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simulators.delivery import DeliveryColumns


class Base(DeclarativeBase):
    """Declarative base of the simulator's tables."""


class Trade(Base):
    """One order as WeChat Pay keeps it, keyed by the merchant's out_trade_no."""

    __tablename__ = "wxsim_trade"

    out_trade_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    mchid: Mapped[str] = mapped_column(String(32))
    appid: Mapped[str] = mapped_column(String(32))
    trade_type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(127))
    notify_url: Mapped[str] = mapped_column(String(256))
    amount_fen: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(8), default="CNY")
    attach: Mapped[str] = mapped_column(String(128), default="")
    payer_openid: Mapped[str] = mapped_column(String(128), default="")
    request_digest: Mapped[str] = mapped_column(String(64))
    prepay_id: Mapped[str] = mapped_column(String(64), unique=True)
    trade_state: Mapped[str] = mapped_column(String(16), default="NOTPAY")
    transaction_id: Mapped[str] = mapped_column(String(32), default="")
    success_time: Mapped[str] = mapped_column(String(32), default="")
    create_time: Mapped[str] = mapped_column(String(32))


class Refund(Base):
    """One refund, keyed by the merchant's out_refund_no (unique per merchant)."""

    __tablename__ = "wxsim_refund"

    out_refund_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(32), unique=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), index=True)
    refund_fen: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(80), default="")
    notify_url: Mapped[str] = mapped_column(String(256), default="")
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="PROCESSING", index=True)
    settle_at: Mapped[float] = mapped_column(Float)
    create_time: Mapped[str] = mapped_column(String(32))
    success_time: Mapped[str] = mapped_column(String(32), default="")


class BillFile(Base):
    """A trade bill prepared for download: the token in its URL names it."""

    __tablename__ = "wxsim_bill"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    bill_date: Mapped[str] = mapped_column(String(10))
    tar_type: Mapped[str] = mapped_column(String(8), default="")
    content: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float)


class Notification(DeliveryColumns, Base):
    """A payment or refund notification and where its delivery stands on the retry schedule."""

    __tablename__ = "wxsim_notification"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), index=True)
    body: Mapped[str] = mapped_column(Text)


class Fault(Base):
    """A fault to inject into the next ``remaining`` API calls under ``path_prefix``."""

    __tablename__ = "wxsim_fault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path_prefix: Mapped[str] = mapped_column(String(256))
    mode: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    remaining: Mapped[int] = mapped_column(Integer, default=1)


class OAuthCode(Base):
    """A web-authorization code: for one appid and one test user, single use, short-lived."""

    __tablename__ = "wxsim_oauth_code"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    appid: Mapped[str] = mapped_column(String(32))
    user: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[float] = mapped_column(Float)
    used: Mapped[int] = mapped_column(Integer, default=0)
