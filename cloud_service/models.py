"""The cloud's own ledger: app users, bound hospital records, orders with their history,
the outbox that drives the saga, and the daily cache of the hospital's catalogue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from envelope import clock
from servicekit.db import ShanghaiDateTime


class Base(DeclarativeBase):
    """Declarative base of cloud_service tables."""


def _now() -> datetime:
    return clock.now()


class AppUser(Base):
    """A user of the patient app (who may bind several hospital records), known by what
    they proved they hold: a phone (an SMS code), a WeChat openid, an Alipay user id."""

    __tablename__ = "app_users"
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # verified by SMS
    wechat_openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    alipay_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)


class Binding(Base):
    """A hospital record (mrn) bound to an app user."""

    __tablename__ = "bindings"
    __table_args__ = (UniqueConstraint("user_id", "mrn"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_users.user_id"))
    mrn: Mapped[str] = mapped_column(String(32))
    patient_name: Mapped[str] = mapped_column(String(64))
    id_card_masked: Mapped[str] = mapped_column(String(32))
    patient_type: Mapped[str] = mapped_column(String(16))
    insured: Mapped[bool] = mapped_column(default=False)
    relation: Mapped[str] = mapped_column(String(16), default="", server_default="")  # CHILD
    created_at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)


class Order(Base):
    """One payment order (a registration or a set of bills) and where its saga stands."""

    __tablename__ = "orders"
    order_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_users.user_id"))
    mrn: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))  # REG or CHARGE
    state: Mapped[str] = mapped_column(String(20), index=True)
    pay_mode: Mapped[str] = mapped_column(String(10))  # INSURANCE or SELF_PAY
    channel: Mapped[str] = mapped_column(String(10))  # WECHAT, ALIPAY, NONE
    # APP (a browser or the hospital's app, signed in by SMS), WECHAT or ALIPAY (inside
    # that app): the channel of every envelope of the order, and how it is paid
    entry: Mapped[str] = mapped_column(String(10), default="APP", server_default="APP")
    pay_params: Mapped[str | None] = mapped_column(Text)  # JSON for the in-app JS bridge
    schedule_id: Mapped[str | None] = mapped_column(String(32))
    lock_id: Mapped[str | None] = mapped_column(String(40))
    bill_nos: Mapped[str | None] = mapped_column(Text)  # CHARGE: JSON list of the bills paid
    bills_digest: Mapped[str | None] = mapped_column(String(64))  # CHARGE: as 3001 gave it
    visit_date: Mapped[str | None] = mapped_column(String(10))
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    cash_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    split_json: Mapped[str | None] = mapped_column(Text)
    setl_id: Mapped[str | None] = mapped_column(String(40))
    out_trade_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    channel_trade_no: Mapped[str | None] = mapped_column(String(64))
    cashier_url: Mapped[str | None] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(Text)
    failure: Mapped[str | None] = mapped_column(Text)
    trace_id: Mapped[str] = mapped_column(String(64))
    pay_deadline: Mapped[datetime | None] = mapped_column(ShanghaiDateTime())
    created_at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)
    updated_at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)


class OrderEvent(Base):
    """One state change of an order: its history, in order."""

    __tablename__ = "order_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_no: Mapped[str] = mapped_column(ForeignKey("orders.order_no"), index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)


class OutboxStep(Base):
    """The next step of an order's saga, written in the same transaction as its state."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_no: Mapped[str] = mapped_column(ForeignKey("orders.order_no"), index=True)
    step: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    leased_until: Mapped[datetime | None] = mapped_column(ShanghaiDateTime())
    done_at: Mapped[datetime | None] = mapped_column(ShanghaiDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)


class WindowRefund(Base):
    """A refund the hospital made at its window (console or notice 6003), recorded once."""

    __tablename__ = "window_refunds"
    order_no: Mapped[str] = mapped_column(ForeignKey("orders.order_no"), primary_key=True)
    refund_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # CONSOLE or 6003
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)


class ChannelNotice(Base):
    """A payment notification already processed (deduplication by the channel's id)."""

    __tablename__ = "channel_notices"
    notice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    out_trade_no: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)


class CatalogCache(Base):
    """The daily copy of departments, doctors and each day's schedules fetched from the HIS."""

    __tablename__ = "catalog_cache"
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    fetched_on: Mapped[str] = mapped_column(String(10))
    payload: Mapped[str] = mapped_column(Text)


class OperationAudit(Base):
    """One action taken on the money by a person or by a repair rule: who, what, on what."""

    __tablename__ = "operations_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now, index=True)


class RepairClaim(Base):
    """A console repair of one difference, claimed before it runs so that it runs once."""

    __tablename__ = "repair_claims"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    order_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)


class ReconciliationRun(Base):
    """The latest reconciliation report of one day (JSON), replaced by each run."""

    __tablename__ = "reconciliation_runs"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    report: Mapped[str] = mapped_column(Text)
    ran_at: Mapped[datetime] = mapped_column(ShanghaiDateTime(), default=_now)
