"""The order life cycle in one table (DESIGN §5): for each state, where it may go next,
the outbox step that moves it on, and what undoes it.

```
CREATED -> PRESETTLED -> AWAITING_PAYMENT -> PAID -> INSURANCE_SETTLED -> CONFIRMED (done)
```
Self-pay skips the insurance states; a zero-cash insured order goes from PRESETTLED straight
to INSURANCE_SETTLED. ``python -m cloud_service.saga`` prints the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """Where an order stands; the value is what the ledger stores."""

    CREATED = "CREATED"
    PRESETTLED = "PRESETTLED"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    INSURANCE_SETTLED = "INSURANCE_SETTLED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    CLOSED = "CLOSED"
    REFUNDING = "REFUNDING"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"  # part of a confirmed order refunded at the window
    REVERSING = "REVERSING"


class Step(StrEnum):
    """An outbox step; the value is what the outbox stores."""

    LOCK_QUERY = "lock_query"  # a lost 2006 reply: ask 2010 whether the slot is ours
    EXPIRE = "expire"  # an unpaid order holding a slot: give it up once it expires
    PAYMENT_DEADLINE = "payment_deadline"  # ask the channel; close the cashier if unpaid
    SETTLE = "settle"  # insurance settle (4005; 4007 on a lost reply)
    CONFIRM = "confirm"  # tell the HIS (2008 / 3003; 2010 / 3005 on a lost reply)
    REVERSE = "reverse"  # undo the insurance settlement (4006; 4007 on a failure)
    REFUND = "refund"  # pay the cash part back by its channel
    STOPPED_REFUND = "stopped_refund"  # clinic stopped (6002): undo once confirmed


@dataclass(frozen=True)
class Stage:
    """One row of the life cycle.

    ``steps``: the step that moves the order on (the second one where the order says so:
    CREATED with its lock known, PAID when self-pay); ``undo``: the state the undo path
    (saga.undo) moves an order to from here, None when nothing is left to undo."""

    label: str
    moves: frozenset[State]
    steps: tuple[Step, ...]
    undo: State | None
    undo_how: str


S = State
LIFE_CYCLE: dict[State, Stage] = {
    S.CREATED: Stage(
        "已下单（已锁号或预约）",
        frozenset({S.PRESETTLED, S.AWAITING_PAYMENT, S.CANCELLED}),
        (Step.LOCK_QUERY, Step.EXPIRE),
        S.CANCELLED,
        "释放号源（2007）后取消",
    ),
    S.PRESETTLED: Stage(
        "医保已预结算",
        frozenset({S.AWAITING_PAYMENT, S.INSURANCE_SETTLED, S.CANCELLED}),
        (Step.EXPIRE,),
        S.CANCELLED,
        "预结算未动钱：直接取消",
    ),
    S.AWAITING_PAYMENT: Stage(
        "待支付（收银台已开）",
        frozenset({S.PAID, S.CLOSED}),
        (Step.PAYMENT_DEADLINE,),
        S.CLOSED,
        "立即执行支付截止步骤：查询渠道、关闭渠道订单、释放号源",
    ),
    S.PAID: Stage(
        "已支付现金",
        frozenset({S.INSURANCE_SETTLED, S.CONFIRMED, S.REFUNDING}),
        (Step.SETTLE, Step.CONFIRM),
        S.REFUNDING,
        "原路退还现金",
    ),
    S.INSURANCE_SETTLED: Stage(
        "医保已结算",
        frozenset({S.CONFIRMED, S.REVERSING}),
        (Step.CONFIRM,),
        S.REVERSING,
        "医保冲正（4006），再原路退还现金",
    ),
    # A confirmed order is done; money goes back only by a refund recorded at the window
    # (6003), or one the saga must make: 6002 (clinic stopped) undoes it, reversal first.
    S.CONFIRMED: Stage(
        "已完成（医院已确认）",
        frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED, S.REFUNDING, S.REVERSING}),
        (),
        S.REVERSING,
        "医保冲正（4006）后退现金；自费订单直接原路退款；窗口退费由 6003 登记",
    ),
    # Each further window refund keeps it partly refunded until nothing is left to refund.
    S.PARTIALLY_REFUNDED: Stage(
        "已部分退费",
        frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
        (),
        None,
        "余下部分在医院窗口退费（6003）",
    ),
    S.REVERSING: Stage(
        "医保冲正中",
        frozenset({S.REFUNDING, S.REFUNDED}),
        (Step.REVERSE,),
        None,
        "已在撤销中",
    ),
    S.REFUNDING: Stage("原路退款中", frozenset({S.REFUNDED}), (Step.REFUND,), None, "已在撤销中"),
    S.CANCELLED: Stage("已取消（未付款）", frozenset(), (), None, "未动钱"),
    S.CLOSED: Stage("已关闭（支付超时）", frozenset(), (), None, "未动钱"),
    S.REFUNDED: Stage("已全部退款", frozenset(), (), None, "钱已退回"),
}

FINAL = frozenset({S.CONFIRMED, S.CANCELLED, S.CLOSED, S.REFUNDED, S.PARTIALLY_REFUNDED})
ALLOWED: dict[State, frozenset[State]] = {
    state: stage.moves for state, stage in LIFE_CYCLE.items() if stage.moves
}
# The step that moves an order on from each non-final state; recovery re-enqueues it when a
# crash left a non-final order without a pending outbox row.
NEXT_STEP: dict[State, Step] = {
    state: stage.steps[0] for state, stage in LIFE_CYCLE.items() if stage.steps
}


def next_step(state: str, pay_mode: str, has_lock: bool) -> Step | None:
    """The step that moves a non-final order on (None for a final state)."""
    if state == S.PAID and pay_mode != "INSURANCE":
        return Step.CONFIRM  # self-pay skips the insurance settle
    if state == S.CREATED and has_lock:
        return Step.EXPIRE
    return NEXT_STEP.get(State(state)) if state in LIFE_CYCLE else None
