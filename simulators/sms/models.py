"""The simulator's tables: messages sent, nonces seen and injected faults (SQLite by
default, so several gunicorn workers see one state)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the simulator's tables."""


class Message(Base):
    """One text message accepted for one phone (a request to several phones stores one
    row each, as the vendor counts and delivers them)."""

    __tablename__ = "smssim_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    biz_id: Mapped[str] = mapped_column(String(64), index=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    sign_name: Mapped[str] = mapped_column(String(64))
    template_code: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text)  # TemplateParam, the JSON text as sent
    out_id: Mapped[str] = mapped_column(String(256), default="")
    sent_at: Mapped[str] = mapped_column(String(32))  # ISO 8601 with +08:00
    sent_epoch: Mapped[float] = mapped_column(Float, index=True)  # for the flow control


class Nonce(Base):
    """A SignatureNonce already used: a second request with it is a replay."""

    __tablename__ = "smssim_nonce"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_epoch: Mapped[float] = mapped_column(Float, index=True)


class Fault(Base):
    """A fault to inject into the next ``remaining`` SendSms calls."""

    __tablename__ = "smssim_fault"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    remaining: Mapped[int] = mapped_column(Integer, default=1)
