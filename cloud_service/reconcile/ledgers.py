"""Reading the four ledgers of one day: the cloud's orders, the channel bills, the insurance
ledger (4007 per order, 4008 then 4009 for the day) and the HIS (2010 or 3005 per order).

The orders are not loaded at once: ``Ledgers.orders`` reads them from the database page by
page while the comparison consumes them, and ``Ledgers.tally`` counts what went past."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from cloud_service import saga
from cloud_service.channels.base import BillRow, ChannelError
from cloud_service.deps import Deps
from cloud_service.hospital import ask
from cloud_service.models import Order, WindowRefund
from cloud_service.reconcile.classify import (
    NOT_RECORDED,
    RECORDED,
    UNKNOWN,
    OrderFacts,
    item_order_no,
)
from cloud_service.saga.undo import REFUND_SUFFIX, out_refund_no_of
from envelope import clock
from envelope.messages.his import QueryCharge, QueryRegistration
from envelope.messages.his_answers import ChargeQueryAnswer, RegistrationQueryAnswer
from envelope.messages.insurance import (
    OrderAnswer,
    QuerySettlement,
    ReconcileDetail,
    ReconcileDetailAnswer,
    ReconcileTotals,
    ReconcileTotalsAnswer,
)

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)  # a PAID or INSURANCE_SETTLED order older is stuck
PAGE = 1000  # orders read per database round trip
LOOKUP_CHUNK = 500  # order numbers per IN (...) query

# The columns an OrderFacts is made of, in its fields' order; then what the engine adds.
FACT_COLUMNS: tuple[Any, ...] = (
    Order.order_no,
    Order.kind,
    Order.state,
    Order.pay_mode,
    Order.channel,
    Order.out_trade_no,
    Order.cash_fen,
    Order.setl_id,
)
ENGINE_COLUMNS = (*FACT_COLUMNS, Order.lock_id, Order.trace_id, Order.created_at, Order.updated_at)


@dataclass
class Tally:
    """What went past in the order stream: how many, by state, how many the HIS could not
    answer for, and the facts of the orders named in ``keep`` (the insurance items')."""

    keep: Container[str] = frozenset()
    count: int = 0
    by_state: Counter[str] = field(default_factory=Counter)
    his_unknown: int = 0
    kept: dict[str, OrderFacts] = field(default_factory=dict)

    def add(self, facts: OrderFacts) -> None:
        """Count one order."""
        self.count += 1
        self.by_state[facts.state] += 1
        self.his_unknown += facts.his == UNKNOWN
        if facts.order_no in self.keep:
            self.kept[facts.order_no] = facts


@dataclass
class Ledgers:
    """What was read for one day, with the sources that could not be read.

    ``orders`` can be iterated once: it reads the database and asks the HIS and insurance as
    it goes. ``tally`` and ``sources["his"]`` are complete once it has been read through."""

    orders: Iterable[OrderFacts] = ()
    bill: list[BillRow] = field(default_factory=list)
    our_refund_nos: Container[str] = frozenset()
    insurance_items: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of a calendar day in Asia/Shanghai."""
    start = datetime.combine(day, time(0), tzinfo=clock.SHANGHAI)
    return start, start + timedelta(days=1)


def _of_day(day: date) -> ColumnElement[bool]:
    start, end = day_bounds(day)
    return (Order.created_at >= start) & (Order.created_at < end)


def _pages(
    sessions: sessionmaker[Session],
    day: date,
    columns: tuple[Any, ...],
    page: int,
    plain: bool,
) -> Iterator[Any]:
    """The day's orders as rows of ``columns`` (order_no first), in order_no order, ``page``
    at a time by key, each page in a short session of its own: memory stays at one page and
    no transaction (on SQLite a write lock: sessions begin IMMEDIATE) stays open while the
    caller works on the rows. ``plain``: the driver's tuples, without building Core rows."""
    if columns[0] is not Order.order_no:
        raise ValueError("the order pages need Order.order_no as their first column")
    first = select(*columns).where(_of_day(day)).order_by(Order.order_no).limit(page)
    following = first.where(Order.order_no > bindparam("after"))  # one statement, cached
    if plain:  # checked once, not per page: every page comes from the same database
        with sessions() as session:  # get_bind() opens no connection
            dialect = session.get_bind().dialect
        if any(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns):
            raise ValueError("plain tuples only of columns the driver returns as is")
    after: str | None = None
    while True:
        with sessions() as session:  # Core rows: ORM loading costs three times as much
            connection = session.connection()
            result = (
                connection.execute(first)
                if after is None
                else connection.execute(following, {"after": after})
            )
            rows = result.cursor.fetchall() if plain else result.all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][0]


def order_rows(
    sessions: sessionmaker[Session],
    day: date,
    columns: tuple[Any, ...] = ENGINE_COLUMNS,
    page: int = PAGE,
) -> Iterator[Row[Any]]:
    """The orders created on ``day`` as Core rows of ``columns``, in order_no order."""
    return _pages(sessions, day, columns, page, plain=False)


def order_tuples(
    sessions: sessionmaker[Session],
    day: date,
    columns: tuple[Any, ...] = FACT_COLUMNS,
    page: int = PAGE,
) -> Iterator[tuple[Any, ...]]:
    """What ``order_rows`` reads, as the driver's plain tuples (building Core rows costs as
    much again as SQLite's own reading); only of columns that need no conversion (no
    datetimes), so the driver's values are the right ones."""
    return _pages(sessions, day, columns, page, plain=True)


def _his_status(deps: Deps, order: Row[Any]) -> str:
    """RECORDED when the HIS charged (3005 PAID) or confirmed (2010 CONFIRMED) the order."""
    if order.kind == "CHARGE":
        request: QueryCharge | QueryRegistration = QueryCharge(order_no=order.order_no)
        model: type[ChargeQueryAnswer | RegistrationQueryAnswer] = ChargeQueryAnswer
        done = "PAID"
    else:
        request, model = QueryRegistration(order_no=order.order_no), RegistrationQueryAnswer
        done = "CONFIRMED"
    reply = ask(deps.hospital, request, trace_id=order.trace_id)
    if not reply.ok:
        return UNKNOWN if reply.result_code.startswith(("3", "9")) else NOT_RECORDED
    return RECORDED if reply.answer(model).status == done else NOT_RECORDED


def _insurance_status(deps: Deps, order: Row[Any]) -> str:
    if order.pay_mode != "INSURANCE":
        return ""
    reply = ask(deps.hospital, QuerySettlement(order_no=order.order_no), trace_id=order.trace_id)
    return reply.answer(OrderAnswer).status if reply.ok else UNKNOWN


def facts_of(deps: Deps, order: Row[Any], window_refund: bool = False) -> OrderFacts:
    """The order (a row of ENGINE_COLUMNS) as the cloud, the HIS and the insurance ledger see
    it now."""
    touched = order.updated_at or order.created_at
    relevant = order.state not in (saga.CANCELLED,) or order.lock_id is not None
    return OrderFacts(
        order_no=order.order_no,
        kind=order.kind,
        state=order.state,
        pay_mode=order.pay_mode,
        channel=order.channel,
        out_trade_no=order.out_trade_no,
        cash_fen=order.cash_fen,
        setl_id=order.setl_id,
        his=_his_status(deps, order) if relevant else NOT_RECORDED,
        insurance=_insurance_status(deps, order) if relevant else "",
        stale=clock.now() - touched > STALE_AFTER,
        window_refund=window_refund,
    )


def _window_refunds(deps: Deps, day: date) -> set[str]:
    """The day's orders the hospital refunded at its window (console or 6003), in part or
    whole: the HIS keeps their record, so neither is a difference."""
    with deps.sessions() as session:
        found = session.scalars(
            select(WindowRefund.order_no)
            .join(Order, Order.order_no == WindowRefund.order_no)
            .where(_of_day(day))
            .distinct()
        )
        return set(found)


def _our_refund_nos(deps: Deps, bill: Iterable[BillRow]) -> set[str]:
    """Of the bill's refund numbers, those the saga uses: the refund number of an existing
    order, whatever day the order was made (a refund today may be of last week's order).
    Only the orders the bill's numbers name are looked up, not the whole table."""
    asked = {row.out_refund_no for row in bill if row.kind == "REFUND"}
    order_nos = sorted(no[: -len(REFUND_SUFFIX)] for no in asked if no.endswith(REFUND_SUFFIX))
    ours: set[str] = set()
    with deps.sessions() as session:
        for at in range(0, len(order_nos), LOOKUP_CHUNK):
            chunk = order_nos[at : at + LOOKUP_CHUNK]
            found = session.scalars(select(Order.order_no).where(Order.order_no.in_(chunk)))
            ours.update(out_refund_no_of(order_no) for order_no in found)
    return ours


def _bills(deps: Deps, day: date, ledgers: Ledgers) -> None:
    for name, channel in sorted(deps.channels.items()):
        # Looked up, not caught as AttributeError: that would hide a bug in a bill parser.
        trade_bill = getattr(channel, "trade_bill", None)
        if trade_bill is None:
            ledgers.sources[name] = {"ok": False, "error": "the channel gives no trade bill"}
            continue
        try:
            rows: list[BillRow] = trade_bill(day.isoformat())
        except ChannelError as exc:  # the parsers turn an unreadable file into one too
            log.warning("reconciliation: %s bill of %s unreadable: %s", name, day, exc)
            ledgers.sources[name] = {"ok": False, "error": str(exc)[:200]}
            continue
        ledgers.bill += rows
        ledgers.sources[name] = {
            "ok": True,
            "payments": sum(1 for r in rows if r.kind == "PAYMENT"),
            "payments_fen": sum(r.amount_fen for r in rows if r.kind == "PAYMENT"),
            "refunds": sum(1 for r in rows if r.kind == "REFUND"),
            "refunds_fen": sum(r.amount_fen for r in rows if r.kind == "REFUND"),
        }


def _insurance_day(deps: Deps, day: date, ledgers: Ledgers) -> None:
    reply = ask(deps.hospital, ReconcileTotals(date=day.isoformat()), trace_id="")
    if not reply.ok:
        ledgers.sources["insurance"] = {"ok": False, "error": reply.result_msg[:200]}
        return
    totals = reply.answer(ReconcileTotalsAnswer)
    ledgers.sources["insurance"] = {
        "ok": True,
        "result": totals.result,
        "ours": totals.ours.model_dump(),
        "center": totals.center.model_dump() if totals.center else None,
    }
    if totals.result == "BALANCED":
        return
    detail = ask(deps.hospital, ReconcileDetail(date=day.isoformat()), trace_id="")
    if detail.ok:
        items = detail.answer(ReconcileDetailAnswer).items
        ledgers.insurance_items = [item.model_dump() for item in items]
    else:
        ledgers.sources["insurance"]["detail_error"] = detail.result_msg[:200]


def _orders(deps: Deps, day: date, ledgers: Ledgers) -> Iterator[OrderFacts]:
    """The day's orders as facts, one HIS (and, if insured, one 4007) call each."""
    window = _window_refunds(deps, day)
    tally = ledgers.tally
    for row in order_rows(deps.sessions, day):
        facts = facts_of(deps, row, row.order_no in window)
        tally.add(facts)
        yield facts
    ledgers.sources["his"] = {
        "ok": tally.his_unknown == 0,
        "orders": tally.count,
        "unknown": tally.his_unknown,
    }


def read_ledgers(deps: Deps, day: date) -> Ledgers:
    """Everything reconciliation compares for ``day``: the bills and the insurance day are
    read now, the orders when ``orders`` is iterated (once)."""
    ledgers = Ledgers()
    ledgers.sources["his"] = {}  # filled in once the orders have been read
    _bills(deps, day, ledgers)
    _insurance_day(deps, day, ledgers)
    ledgers.our_refund_nos = _our_refund_nos(deps, ledgers.bill)
    ledgers.tally = Tally(keep={item_order_no(item) for item in ledgers.insurance_items})
    ledgers.orders = _orders(deps, day, ledgers)
    return ledgers
