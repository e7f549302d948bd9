"""Reconciliation read as streams: the comparison reads the orders once and holds only a
compact bill index, the bill parsers read files line by line, the orders come from the
database page by page, and the classification is the same as the list-based one it replaced."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cloud_service import saga
from cloud_service.channels import ChannelOutcomeUnknown
from cloud_service.channels.base import BillRow
from cloud_service.channels.bills import ALIPAY, WECHAT, iter_rows, read
from cloud_service.deps import Deps
from cloud_service.reconcile import classify, reconcile_day
from cloud_service.reconcile.classify import (
    COMPLETE_STUCK_CONFIRM,
    MOVING,
    NOT_RECORDED,
    RECORDED,
    REFUND_ORPHAN_PAYMENT,
    REVERSE_ORPHAN_SETTLEMENT,
    UNDONE,
    Difference,
    OrderFacts,
    compare_orders,
)
from cloud_service.reconcile.ledgers import (
    ENGINE_COLUMNS,
    FACT_COLUMNS,
    order_rows,
    order_tuples,
)
from cloud_service.saga import orders, steps
from envelope import clock
from simulators.wechatpay.bills import COLUMNS, SUMMARY
from tests.unit.cloud_saga.saga_fakes import BillingChannel, awaiting_order, paid_order, run_all
from tests.unit.cloud_service.answers import (
    day_detail,
    day_totals,
    difference,
    insurance,
    registration,
)
from tests.unit.cloud_service.fakes import FakeHospital, ok

# --- the list-based comparison as it was before streaming, kept as the oracle -------------


def _old_channel(order: OrderFacts, paid: dict[str, int], refunds: set[str]) -> list[Difference]:
    out: list[Difference] = []
    key = order.out_trade_no or ""
    paid_fen = paid.get(key)
    if paid_fen is not None and paid_fen != order.cash_fen:
        amounts = {"channel_fen": paid_fen, "cloud_fen": order.cash_fen}
        out.append(
            Difference("AMOUNT_MISMATCH", order.order_no, "channel paid", "", amounts=amounts)
        )
    elif (
        paid_fen is not None
        and order.state in (saga.CANCELLED, saga.CLOSED)
        and not (key in refunds or order.his == RECORDED)
    ):
        out.append(
            Difference(
                "PAID_AT_CHANNEL_ONLY",
                order.order_no,
                f"{order.channel} took the money of a {order.state} order",
                REFUND_ORPHAN_PAYMENT,
                amounts={"channel_fen": paid_fen},
            )
        )
    paid_in_cloud = order.state in (saga.CONFIRMED, *MOVING) and order.cash_fen > 0
    if paid_in_cloud and paid_fen is None:
        out.append(
            Difference("MISSING_AT_CHANNEL", order.order_no, "paid in the cloud, not in the bill")
        )
    return out


def _old_insurance(order: OrderFacts) -> list[Difference]:
    if order.pay_mode != "INSURANCE" or order.insurance in ("", "UNKNOWN"):
        return []
    settled = order.insurance == "SETTLED"
    if settled and order.his != RECORDED and (order.state in UNDONE):
        return [
            Difference(
                "SETTLED_AT_INSURANCE_ONLY",
                order.order_no,
                f"insurance settled a {order.state} order the HIS never recorded",
                REVERSE_ORPHAN_SETTLEMENT,
            )
        ]
    if not settled and order.state == saga.CONFIRMED and order.setl_id:
        return [
            Difference("MISSING_AT_INSURANCE", order.order_no, f"insurance says {order.insurance}")
        ]
    return []


def _old_his(order: OrderFacts) -> list[Difference]:
    if order.his == RECORDED and order.state in MOVING:
        return [
            Difference("STUCK_CONFIRM", order.order_no, "HIS recorded it, the cloud did not",
                       COMPLETE_STUCK_CONFIRM)
        ]  # fmt: skip
    if order.his == NOT_RECORDED and order.state in MOVING and order.stale:
        return [
            Difference("STUCK_CONFIRM", order.order_no, f"{order.state} for too long",
                       COMPLETE_STUCK_CONFIRM)
        ]  # fmt: skip
    if order.his == RECORDED and order.state in UNDONE and not order.window_refund:
        return [Difference("IN_HIS_ONLY", order.order_no, f"HIS recorded a {order.state} order")]
    if order.his == NOT_RECORDED and order.state == saga.CONFIRMED:
        return [Difference("MISSING_IN_HIS", order.order_no, "confirmed, the HIS has no record")]
    return []


def _old_compare(
    orders: list[OrderFacts], bill: list[BillRow], our_refund_nos: set[str]
) -> list[Difference]:
    paid = {row.out_trade_no: row.amount_fen for row in bill if row.kind == "PAYMENT"}
    refunded = {row.out_trade_no for row in bill if row.kind == "REFUND"}
    out: list[Difference] = []
    for order in orders:
        out += _old_channel(order, paid, refunded) + _old_insurance(order) + _old_his(order)
    known = {order.out_trade_no for order in orders if order.out_trade_no}
    for row in bill:
        if row.kind == "PAYMENT" and row.out_trade_no not in known:
            out.append(
                Difference(
                    "PAID_AT_CHANNEL_ONLY",
                    row.out_trade_no,
                    f"payment {row.transaction_id} of no order of this day",
                    amounts={"channel_fen": row.amount_fen},
                )
            )
        if row.kind == "REFUND" and row.out_refund_no not in our_refund_nos:
            out.append(
                Difference(
                    "REFUNDED_OFFLINE",
                    row.out_trade_no,
                    f"refund {row.out_refund_no or '?'} not made by the saga",
                    status="INFO",
                    amounts={"refund_fen": row.amount_fen},
                )
            )
    return out


# --- helpers -------------------------------------------------------------------------------

STATES = (saga.CONFIRMED, saga.PAID, saga.INSURANCE_SETTLED, saga.CANCELLED, saga.CLOSED,
          saga.REFUNDED, saga.AWAITING_PAYMENT)  # fmt: skip


def _random_day(seed: int) -> tuple[list[OrderFacts], list[BillRow], set[str]]:
    """Orders and a bill with every kind of disagreement, duplicates and empty keys."""
    rnd = random.Random(seed)
    trades = [f"T{n}" for n in range(40)] + ["", "T-DUP"]
    orders = [
        OrderFacts(
            order_no=f"R{n}",
            kind=rnd.choice(("REG", "CHARGE")),
            state=rnd.choice(STATES),
            pay_mode=rnd.choice(("INSURANCE", "SELF_PAY")),
            channel=rnd.choice(("WECHAT", "ALIPAY")),
            out_trade_no=rnd.choice([*trades, None]),
            cash_fen=rnd.choice((0, 500, 1200)),
            setl_id=rnd.choice((None, f"S{n}")),
            his=rnd.choice((RECORDED, NOT_RECORDED, "UNKNOWN")),
            insurance=rnd.choice(("", "SETTLED", "NONE", "REVERSED", "UNKNOWN")),
            stale=rnd.random() < 0.5,
            window_refund=rnd.random() < 0.2,
        )
        for n in range(60)
    ]
    bill = [
        BillRow(
            rnd.choice(("PAYMENT", "PAYMENT", "REFUND", "OTHER")),
            rnd.choice([*trades, "T-STRANGER", "T-OTHER"]),
            f"WX{n}",
            rnd.choice((0, 500, 1200, 1300)),
            "2026-11-26 10:00:00",
            rnd.choice(("", f"R{n % 60}R1", "WINDOW-1")),
        )
        for n in range(80)
    ]
    ours = {f"R{n}R1" for n in range(0, 60, 2)}
    return orders, bill, ours


class Once:
    """An iterable that may be iterated only once (like a cursor)."""

    def __init__(self, items: Iterable[OrderFacts]) -> None:
        self.items, self.used = list(items), False

    def __iter__(self) -> Iterator[OrderFacts]:
        assert not self.used, "orders iterated a second time"
        self.used = True
        yield from self.items


class Rereadable:
    """A bill that reads its rows afresh on each iteration, counting the readings."""

    def __init__(self, rows: list[BillRow]) -> None:
        self.rows, self.readings = rows, 0

    def __iter__(self) -> Iterator[BillRow]:
        self.readings += 1
        yield from self.rows


def _facts(order_no: str, trade: str | None, cash: int = 500) -> OrderFacts:
    return OrderFacts(order_no, "REG", saga.CONFIRMED, "SELF_PAY", "WECHAT", trade, cash, None,
                      his=RECORDED)  # fmt: skip


# --- the comparison ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(30))
def test_streaming_comparison_is_the_list_comparison(seed: int) -> None:
    orders, bill, ours = _random_day(seed)
    expected = [d.as_dict() for d in _old_compare(orders, bill, ours)]
    assert [d.as_dict() for d in compare_orders(orders, bill, ours)] == expected
    generated = compare_orders((o for o in orders), (r for r in bill), ours)
    assert [d.as_dict() for d in generated] == expected


AGREEING = OrderFacts("R1", "REG", saga.CONFIRMED, "INSURANCE", "WECHAT", "T1", 500, "S1",
                      his=RECORDED, insurance="SETTLED")  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"insurance": ""},
        {"insurance": "UNKNOWN"},
        {"pay_mode": "SELF_PAY", "insurance": "", "setl_id": None},
        {"cash_fen": 600},
        {"out_trade_no": None},
        {"out_trade_no": "T-NOT-PAID"},
        {"his": NOT_RECORDED},
        {"his": "UNKNOWN"},
        {"insurance": "NONE"},
        {"insurance": "REVERSED"},
        *({"state": state} for state in STATES if state != saga.CONFIRMED),
        {"state": saga.CANCELLED, "stale": True, "window_refund": True},
    ],
)
def test_orders_that_agree_everywhere_skip_the_rules_and_near_misses_do_not(
    change: dict[str, object],
) -> None:
    """The comparison skips the rules for an order that agrees everywhere; an order one
    field away from that is classified as the list-based comparison does."""
    order = AGREEING._replace(**change)
    bill = [BillRow("PAYMENT", "T1", "WX1", 500, "2026-11-26 10:00:00", "")]
    expected = [d.as_dict() for d in _old_compare([order], bill, set())]
    assert [d.as_dict() for d in compare_orders([order], bill, set())] == expected


def test_an_order_that_agrees_everywhere_is_not_put_through_the_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def rule(*args: object) -> list[Difference]:
        raise AssertionError("a rule ran for an order that agrees everywhere")

    for name in ("_channel", "_insurance", "_his"):
        monkeypatch.setattr(classify, name, rule)
    bill = [BillRow("PAYMENT", "T1", "WX1", 500, "2026-11-26 10:00:00", "")]
    assert compare_orders([AGREEING], bill, set()) == []
    with pytest.raises(AssertionError, match="a rule ran"):
        compare_orders([AGREEING._replace(cash_fen=600)], bill, set())


def test_orders_are_read_once_and_known_trades_need_no_second_pass() -> None:
    orders = Once([_facts("R1", "T1"), _facts("R2", "T2"), _facts("R3", None, cash=0)])
    bill = Rereadable([BillRow("PAYMENT", "T1", "WX1", 500, "t"),
                       BillRow("PAYMENT", "T2", "WX2", 500, "t")])  # fmt: skip
    assert compare_orders(orders, bill, set()) == [] and bill.readings == 1


def test_a_payment_of_no_order_reads_the_bill_again_for_its_rows_in_order() -> None:
    orders = Once([_facts("R1", "T1")])
    bill = Rereadable(
        [
            BillRow("PAYMENT", "T9", "WX9", 700, "t"),
            BillRow("REFUND", "T1", "WX1", 100, "t", "WINDOW-7"),
            BillRow("PAYMENT", "T1", "WX1", 500, "t"),
            BillRow("PAYMENT", "T9", "WX9B", 800, "t"),
        ]
    )
    found = [(d.kind, d.order_no, d.detail) for d in compare_orders(orders, bill, set())]
    assert found == [
        ("PAID_AT_CHANNEL_ONLY", "T9", "payment WX9 of no order of this day"),
        ("REFUNDED_OFFLINE", "T1", "refund WINDOW-7 not made by the saga"),
        ("PAID_AT_CHANNEL_ONLY", "T9", "payment WX9B of no order of this day"),
    ]
    assert bill.readings == 2


def test_a_generator_bill_with_unknown_payments_still_gets_their_transaction_ids() -> None:
    rows = (BillRow("PAYMENT", t, f"WX-{t}", 500, "t") for t in ("T1", "T2"))
    found = compare_orders((o for o in [_facts("R1", "T1")]), rows, set())
    assert [(d.kind, d.detail) for d in found] == [
        ("PAID_AT_CHANNEL_ONLY", "payment WX-T2 of no order of this day")
    ]


def test_amounts_in_differences_are_plain_ints() -> None:
    orders = [_facts("R1", "T1", cash=500), _facts("R2", "T1", cash=400)]  # one trade, twice
    found = compare_orders(orders, [BillRow("PAYMENT", "T1", "WX1", 400, "t")], set())
    assert [(d.order_no, d.amounts) for d in found] == [
        ("R1", {"channel_fen": 400, "cloud_fen": 500})
    ]
    assert type(found[0].amounts["channel_fen"]) is int


# --- the bill files --------------------------------------------------------------------------


def _bill_text(rows: list[str], count: int, paid: str, refunded: str) -> str:
    summary = ",".join("`" + f for f in (str(count), paid, refunded, "0.00", "0.00", paid,
                                         refunded))  # fmt: skip
    return "\r\n".join([COLUMNS, *rows, SUMMARY, summary]) + "\r\n"


def _wechat_row(state: str, trade: str, settled: str, refund: str, refund_no: str,
                name: str = "挂号费") -> str:  # fmt: skip
    fields = ["2026-11-26 10:00:00", "wx1", "1900000001", "0", "", f"4200{trade}", trade, "oU",
              "MWEB", state, "OTHERS", "CNY", settled, "0.00", "0", refund_no, refund, "0.00",
              "", "", name, "", "0.006", "0.60%", "1.00", refund, ""]  # fmt: skip
    return ",".join("`" + f for f in fields)


def test_wechat_bill_is_read_line_by_line_from_a_file(tmp_path: Path) -> None:
    text = _bill_text(
        [
            _wechat_row("SUCCESS", "ORD1", "12.34", "0.00", "0"),
            _wechat_row("REFUND", "ORD2", "0.00", "1.00", "ORD2R1"),
            _wechat_row("SUCCESS", "ORD3", "2.00", "0.00", "0", name='"挂号费, 专家"'),
        ],
        3,
        "14.34",
        "1.00",
    )
    path = tmp_path / "bill.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # with a byte order mark
    with path.open("rb") as lines:
        rows = list(iter_rows(WECHAT, lines))
    assert rows == read(WECHAT, text.encode())
    assert [(r.kind, r.out_trade_no, r.transaction_id, r.amount_fen, r.out_refund_no)
            for r in rows] == [
        ("PAYMENT", "ORD1", "4200ORD1", 1234, ""),
        ("REFUND", "ORD2", "4200ORD2", 100, "ORD2R1"),
        ("PAYMENT", "ORD3", "4200ORD3", 200, ""),
    ]  # fmt: skip


def test_a_streamed_bill_that_does_not_add_up_raises_after_its_rows() -> None:
    text = _bill_text([_wechat_row("SUCCESS", "ORD1", "12.34", "0.00", "0")], 1, "12.35", "0.00")
    rows = iter_rows(WECHAT, text.encode().splitlines())
    assert next(rows).amount_fen == 1234
    with pytest.raises(ChannelOutcomeUnknown, match="does not add up"):
        next(rows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (COLUMNS + "\r\n" + _wechat_row("SUCCESS", "ORD1", "1.00", "0.00", "0"), "no summary"),
        ("交易时间,商户订单号\r\n" + SUMMARY + "\r\n`0,`0,`0,`0,`0,`0,`0", "no column"),
        (_bill_text([], 0, "0.00", "0.00") + "`0,`0,`0,`0,`0,`0,`0\r\n", "not one row"),
        (
            _bill_text([_wechat_row("SUCCESS", "ORD\udcff", "1.00", "0.00", "0")], 1, "1.00", "0"),
            "not UTF-8",
        ),
    ],
)
def test_a_broken_bill_is_refused(text: str, message: str) -> None:
    raw = text.encode(errors="surrogateescape")  # \udcff: a byte that is not UTF-8
    with pytest.raises(ChannelOutcomeUnknown, match=message):
        list(iter_rows(WECHAT, raw.splitlines()))


def test_alipay_bill_is_read_line_by_line() -> None:
    text = "\n".join(
        [
            "#支付宝业务明细查询",
            "支付宝交易号,商户订单号,业务类型,完成时间,订单金额（元）,商家实收（元）,退款批次号/请求号",
            "2026112622001,ORD1,交易,2026-11-26 10:00:00,12.34,12.34,",
            "2026112622002,ORD2,退款,2026-11-26 11:00:00,-1.00,-1.00,ORD2R1",
            "#业务明细列表结束",
        ]
    )
    rows = list(iter_rows(ALIPAY, (line.encode() for line in text.splitlines())))
    assert rows == read(ALIPAY, text.encode())
    assert [(r.kind, r.out_trade_no, r.amount_fen, r.out_refund_no) for r in rows] == [
        ("PAYMENT", "ORD1", 1234, ""),
        ("REFUND", "ORD2", 100, "ORD2R1"),
    ]


# --- the orders from the database ----------------------------------------------------------


def test_orders_come_page_by_page_in_order_no_order_and_only_of_the_day(deps: Deps) -> None:
    made = sorted(awaiting_order(deps, "SELF_PAY", phone=f"1380000000{n}") for n in range(5))
    rows = list(order_rows(deps.sessions, clock.today(), FACT_COLUMNS, page=2))
    assert [row.order_no for row in rows] == made
    assert rows[0]._fields == tuple(c.key for c in FACT_COLUMNS)
    assert list(order_rows(deps.sessions, clock.today() - timedelta(days=1), page=2)) == []
    with pytest.raises(ValueError, match="order_no"):
        list(order_rows(deps.sessions, clock.today(), ENGINE_COLUMNS[1:]))


def test_order_tuples_are_the_rows_as_plain_tuples(deps: Deps) -> None:
    made = sorted(awaiting_order(deps, "SELF_PAY", phone=f"1380000000{n}") for n in range(5))
    tuples = list(order_tuples(deps.sessions, clock.today(), FACT_COLUMNS, page=2))
    assert [no for no, *_ in tuples] == made
    assert all(type(t) is tuple for t in tuples)
    assert tuples == [tuple(r) for r in order_rows(deps.sessions, clock.today(), FACT_COLUMNS)]
    assert list(order_tuples(deps.sessions, clock.today() - timedelta(days=1), page=2)) == []
    with pytest.raises(ValueError, match="order_no"):
        list(order_tuples(deps.sessions, clock.today(), ENGINE_COLUMNS[1:]))
    with pytest.raises(ValueError, match="as is"):  # created_at needs converting
        list(order_tuples(deps.sessions, clock.today(), ENGINE_COLUMNS))


def test_report_counts_the_streamed_orders_and_finds_items_of_named_orders(
    deps: Deps, hospital: FakeHospital, channel: BillingChannel
) -> None:
    paid_order(deps, channel, "SELF_PAY")
    run_all(deps)
    closed = awaiting_order(deps, "INSURANCE", phone="13800000009")
    steps.run_step(deps, "payment_deadline", closed)
    hospital.then("2010", lambda body: ok(**registration(
        body, "CONFIRMED" if body["order_no"] != closed else "RELEASED")))  # fmt: skip
    hospital.then("4007", lambda body: ok(**insurance(body, "NONE")))  # only the center's day
    hospital.then("4008", lambda body: ok(**day_totals(body, "UNBALANCED", center_count=1)))
    item = difference(closed, "CENTER_ONLY", "center only")
    hospital.then("4009", lambda body: ok(**day_detail(body, item)))
    report = reconcile_day(deps, clock.today())
    assert report["orders"] == {"count": 2, "by_state": {"CONFIRMED": 1, "CLOSED": 1}}
    assert report["sources"]["his"] == {"ok": True, "orders": 2, "unknown": 0}
    assert [(d["kind"], d["order_no"], d["repair"]) for d in report["differences"]] == [
        ("SETTLED_AT_INSURANCE_ONLY", closed, "reverse_orphan_settlement")
    ]
    assert orders.reload(deps, closed).state == saga.CLOSED
