"""Refunds the hospital made at its window (notice 6003, or a console entry), each recorded
once; they add up, and never exceed what is left refundable (DESIGN §12)."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from cloud_service.models import Order, WindowRefund
from cloud_service.saga.states import State
from cloud_service.saga.transitions import move
from envelope import clock, codes
from servicekit.db import transaction

log = logging.getLogger(__name__)

# Fields of a 6003 notice that may name the patient: never copied into the order's history.
PERSONAL_FIELDS = frozenset({"name", "patient_name", "psn_name", "id_card_no", "certno", "phone"})
WINDOW_REFUND_NO = "WINDOW"  # a window refund that names no receipt: one per order
REFUNDABLE = frozenset({State.CONFIRMED, State.PARTIALLY_REFUNDED})


class DuplicateRefund(CloudError):
    """This window refund (order and refund number) is recorded already."""

    def __init__(self) -> None:
        super().__init__(codes.ORDER_STATE_CONFLICT, "这笔窗口退费已登记过，不能重复登记")


def _window_note(facts: dict[str, Any]) -> str:
    kept = {
        k: v
        for k, v in sorted(facts.items())
        if k != "order_no" and k not in PERSONAL_FIELDS and isinstance(v, str | int | bool)
    }
    return "refunded offline at the window " + json.dumps(kept, ensure_ascii=False)[:1500]


def _refund_fen(facts: dict[str, Any]) -> int | None:
    """The amount a window refund names (None: all that is left), or 1009."""
    amount = facts.get("refund_fen")
    if amount is None:
        return None
    if type(amount) is not int or amount <= 0:
        raise CloudError(codes.BODY_INVALID, "退费金额须为正整数（分）")
    return amount


def record_window_refund(
    deps: Deps, order_no: str, facts: dict[str, Any], *, source: str, recorded_by: str
) -> str:
    """Record a refund the hospital made at its window (a console entry or notice 6003) once,
    and answer the order's new state: REFUNDED when nothing is left, else PARTIALLY_REFUNDED.

    ``facts``: refund_no (one unnamed refund per order when absent), refund_fen (all that is
    left when absent), and whatever else the window said (kept in the history, personal
    fields dropped). Raises 2008 for an unknown order, DuplicateRefund (2014) for a refund
    number recorded already with the same amount, 2007 for one recorded with another amount,
    2014 for an order that cannot be refunded, 2006 for more than
    is left refundable. The refund row and the guarded update on the refunded amount are one
    transaction, so two identical requests at the same instant cannot both pass."""
    refund_no = str(facts.get("refund_no") or WINDOW_REFUND_NO)[:40]
    asked = _refund_fen(facts)
    for _ in range(3):  # again when another writer moved the order meanwhile
        with deps.sessions() as session:
            order = session.get(Order, order_no)
            known = session.get(WindowRefund, (order_no, refund_no))
        if order is None:
            raise CloudError(codes.RECORD_NOT_FOUND, "没有这个订单")
        if known is not None:
            if asked is not None and asked != known.amount_fen:  # not a retry: a conflict
                raise CloudError(
                    codes.DUPLICATE_ORDER,
                    f"退费单号 {refund_no} 已登记 {known.amount_fen} 分，与本次金额不符",
                )
            raise DuplicateRefund()
        if order.state not in REFUNDABLE:
            raise CloudError(codes.ORDER_STATE_CONFLICT, _not_refundable(order.state))
        left = order.total_fen - order.refunded_fen
        amount = left if asked is None else asked
        if amount > left or amount <= 0:
            raise CloudError(
                codes.AMOUNT_MISMATCH, f"退费金额超过可退金额（可退 {left} 分，申请 {amount} 分）"
            )
        new = State.REFUNDED if amount == left else State.PARTIALLY_REFUNDED
        try:
            with transaction(deps.sessions) as session:
                session.add(
                    WindowRefund(
                        order_no=order_no,
                        refund_no=refund_no,
                        amount_fen=amount,
                        source=source,
                        recorded_by=recorded_by[:64],
                        at=clock.now(),
                    )
                )
                session.flush()
                move(
                    session,
                    order_no,
                    order.state,
                    new,
                    note=_window_note({**facts, "refund_no": refund_no, "refund_fen": amount}),
                    guard=(Order.refunded_fen == order.refunded_fen,),
                    refunded_fen=order.refunded_fen + amount,
                )
        except IntegrityError as exc:
            raise DuplicateRefund() from exc
        except CloudError as exc:
            if exc.result_code != codes.ORDER_STATE_CONFLICT:
                raise
            continue
        log.info("order %s: %s fen refunded at the window, now %s", order_no, amount, new)
        return new
    raise CloudError(codes.ORDER_STATE_CONFLICT, "订单正被其他操作修改，请稍后再试")


def _not_refundable(state: str) -> str:
    if state == State.REFUNDED:
        return "该订单已全部退费，没有可退金额"
    return "该订单尚未完成支付，不能登记窗口退费"
