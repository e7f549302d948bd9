"""Tables of insurance_frontend: the message ledger, orders on the insurance path, sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base; the schema itself is made by the Alembic migrations."""


class LedgerRow(Base):
    """One national message: written before it is sent, updated with its reply."""

    __tablename__ = "insurance_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    msgid: Mapped[str | None] = mapped_column(String(30), unique=True)
    infno: Mapped[str] = mapped_column(String(4), index=True)
    order_no: Mapped[str | None] = mapped_column(String(64), index=True)
    sign_no: Mapped[str] = mapped_column(String(64), default="")
    trace_id: Mapped[str] = mapped_column(String(64), default="")
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reply: Mapped[str | None] = mapped_column(Text)  # exactly as received, for audit
    outcome: Mapped[str] = mapped_column(String(8))  # PENDING, OK, FAILED, UNKNOWN, REVERSED
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InsuranceOrder(Base):
    """An order on the insurance path: OPEN, PRESETTLED, SETTLED or REVERSED."""

    __tablename__ = "insurance_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_no: Mapped[str] = mapped_column(String(64), unique=True)
    mrn: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    lock_id: Mapped[str] = mapped_column(String(64), default="")
    bill_nos: Mapped[list[str]] = mapped_column(JSON, default=list)
    psn_no: Mapped[str] = mapped_column(String(64))
    insutype: Mapped[str] = mapped_column(String(8))
    insuplc_admdvs: Mapped[str] = mapped_column(String(16), default="")
    mdtrt_id: Mapped[str] = mapped_column(String(64))
    # the ID card the visit was registered with (2201); "" for orders from before 0003
    mdtrt_cert_no: Mapped[str] = mapped_column(String(32), default="")
    chrg_bchno: Mapped[str] = mapped_column(String(64))
    fees_uploaded: Mapped[bool] = mapped_column(Boolean, default=False)
    acct_used: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12))
    medfee_sumamt_fen: Mapped[int] = mapped_column(Integer, default=0)
    setl_id: Mapped[str] = mapped_column(String(64), default="")
    split: Mapped[dict[str, int] | None] = mapped_column(JSON)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reverse_reason: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInRow(Base):
    """A sign-in serial (9001), shared by every worker."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sign_no: Mapped[str] = mapped_column(String(64), unique=True)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
