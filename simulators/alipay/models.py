"""The simulator's tables: trades, refunds, pending notifications, injected faults, auth
codes and grants (SQLite by default, so several gunicorn workers see one state)."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from simulators.delivery import DeliveryColumns


class Base(DeclarativeBase):
    """Declarative base of the simulator's tables."""


class Trade(Base):
    """One trade as Alipay keeps it, keyed by the merchant's out_trade_no; amounts in fen."""

    __tablename__ = "alisim_trade"

    out_trade_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(64))
    product_code: Mapped[str] = mapped_column(String(32), default="")
    subject: Mapped[str] = mapped_column(String(256))
    notify_url: Mapped[str] = mapped_column(String(256), default="")
    return_url: Mapped[str] = mapped_column(String(256), default="")
    amount_fen: Mapped[int] = mapped_column(Integer)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    trade_no: Mapped[str] = mapped_column(String(64), unique=True)
    trade_status: Mapped[str] = mapped_column(String(16), default="WAIT_BUYER_PAY")
    buyer_logon_id: Mapped[str] = mapped_column(String(100), default="")
    buyer_user_id: Mapped[str] = mapped_column(String(32), default="")
    gmt_create: Mapped[str] = mapped_column(String(19))
    gmt_payment: Mapped[str] = mapped_column(String(19), default="")
    gmt_close: Mapped[str] = mapped_column(String(19), default="")
    expire_at: Mapped[float] = mapped_column(Float, default=0.0)


class Refund(Base):
    """One refund request, unique per trade and out_request_no."""

    __tablename__ = "alisim_refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    out_trade_no: Mapped[str] = mapped_column(String(64), index=True)
    out_request_no: Mapped[str] = mapped_column(String(64))
    refund_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(256), default="")
    gmt_refund_pay: Mapped[str] = mapped_column(String(19))


class Notification(DeliveryColumns, Base):
    """An asynchronous notification (the signed form) and its place on the retry schedule."""

    __tablename__ = "alisim_notification"

    notify_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(64), index=True)
    form: Mapped[str] = mapped_column(Text)  # JSON object of the form fields, sign included


class Fault(Base):
    """A fault to inject into the next ``remaining`` gateway calls of ``method`` ("" = all)."""

    __tablename__ = "alisim_fault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    method: Mapped[str] = mapped_column(String(64), default="")
    mode: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    remaining: Mapped[int] = mapped_column(Integer, default=1)


class AuthCode(Base):
    """An auth_code the authorize page issued: single use, for one app, until expires_at."""

    __tablename__ = "alisim_auth_code"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[str] = mapped_column(String(32))
    user_name: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[float] = mapped_column(Float)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Grant(Base):
    """A user's authorization of one app: the ids that app was issued for the user."""

    __tablename__ = "alisim_grant"

    app_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    open_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_name: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[str] = mapped_column(String(19))
