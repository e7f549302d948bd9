"""The insurance trade codes (4xxx), answered by insurance_frontend."""

from __future__ import annotations

from typing import Any

from envelope.messages.base import Day, Request, Text
from envelope.trades import Trade


class InsuranceSignIn(Request):
    """4001: sign in at the center (inside the hospital only)."""

    trade = Trade.INSURANCE_SIGN_IN
    operator: Text


class InsuranceSignOut(Request):
    """4002: sign out at the center (inside the hospital only)."""

    trade = Trade.INSURANCE_SIGN_OUT
    sign_no: Text


class InsuredPerson(Request):
    """4003: the insured person behind an ID card and name."""

    trade = Trade.INSURED_PERSON
    id_card_no: Text
    name: Text


class Presettle(Request):
    """4004: the split of an order's lock (REG) or listed bills (CHARGE)."""

    trade = Trade.PRESETTLE
    order_no: Text
    mrn: Text
    kind: Text
    lock_id: Text | None = None
    bill_nos: list[Any] | None = None
    bills_digest: Text | None = None
    acct_used: bool | None = None


class Settle(Presettle):
    """4005: settle as pre-settled (idempotent on order_no)."""

    trade = Trade.SETTLE


class ReverseSettlement(Request):
    """4006: reverse an order's settlement."""

    trade = Trade.REVERSE_SETTLEMENT
    order_no: Text
    reason: Text


class QuerySettlement(Request):
    """4007: what the center recorded for an order."""

    trade = Trade.QUERY_SETTLEMENT
    order_no: Text


class ReconcileTotals(Request):
    """4008: one day's totals, ours against the center's."""

    trade = Trade.RECONCILE_TOTALS
    date: Day


class ReconcileDetail(Request):
    """4009: one day's mismatched items."""

    trade = Trade.RECONCILE_DETAIL
    date: Day
