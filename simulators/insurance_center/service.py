"""The callService endpoint's logic: transport check, message log by msgid, sign-in check,
dispatch by infno, injected faults. One database transaction per message."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from simulators.insurance_center import persons, reconcile, settlement, signing, visits
from simulators.insurance_center.policy import Policy
from simulators.insurance_center.settings import Settings
from simulators.insurance_center.store import Docs
from simulators.insurance_center.wire import (
    SHANGHAI,
    Context,
    Refusal,
    check_msgid,
    reply,
    transport_fault,
)

BusinessCode = Callable[[Context], dict[str, Any]]

BUSINESS: dict[str, BusinessCode] = {
    "9001": signing.sign_in,
    "9002": signing.sign_out,
    "1101": persons.person_info,
    "2201": visits.register,
    "2202": visits.cancel_visit,
    "2204": visits.upload_fees,
    "2205": visits.cancel_fees,
    "2206": settlement.pre_settle,
    "2207": settlement.settle_visit,
    "2208": settlement.reverse_settlement,
    "2601": settlement.reverse_by_message,
    "3201": reconcile.reconcile_totals,
    "3202": reconcile.reconcile_detail,
}


def _now() -> datetime:
    return datetime.now(SHANGHAI)


def _psn_no_of(message: dict[str, Any]) -> str:
    node = message.get("input")
    if not isinstance(node, dict):
        return ""
    data, fees = node.get("data"), node.get("feedetail")
    if isinstance(data, dict) and data.get("psn_no"):
        return str(data["psn_no"])
    if isinstance(fees, list) and fees and isinstance(fees[0], dict):
        return str(fees[0].get("psn_no") or "")
    return ""


class Center:
    """The simulated national platform behind one callService address."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session], policy: Policy) -> None:
        self.settings = settings
        self.factory = factory
        self.policy = policy

    def call(self, headers: Mapping[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one request: (HTTP status, national reply)."""
        received = _now()
        fault = transport_fault(headers, self.settings, received)
        if fault is not None:
            return 401, reply(-1, received, _now(), err_msg=fault)
        try:
            message = json.loads(raw.decode("utf-8"), parse_float=Decimal)
        except (UnicodeDecodeError, ValueError):
            message = None
        if not isinstance(message, dict):
            return 400, reply(-1, received, _now(), err_msg="request is not a JSON object")
        infno = str(message.get("infno", ""))
        # The fault is taken in the message's own transaction; only a delay commits it
        # first, to sleep outside the database lock before the message is processed.
        with transaction(self.factory) as session:
            docs = Docs(session)
            injected = self._take_fault(docs, infno)
            delayed = injected.get("mode") == "delay"
            answer = None if delayed else self._answer(docs, headers, message, received, injected)
        if answer is None:
            time.sleep(float(injected.get("seconds", 1)))
            with transaction(self.factory) as session:
                answer = self._answer(Docs(session), headers, message, received, injected)
        if injected.get("mode") == "drop":
            time.sleep(float(injected.get("seconds", 5)))  # committed; the reply comes too late
        return answer

    def _answer(
        self,
        docs: Docs,
        headers: Mapping[str, str],
        message: dict[str, Any],
        received: datetime,
        injected: dict[str, Any],
    ) -> tuple[int, dict[str, Any]]:
        """The nonce recorded once, then the message processed: (HTTP status, reply)."""
        if not docs.add("nonce", headers.get("x-tif-nonce", ""), {"at": received.isoformat()}):
            return 401, reply(-1, received, _now(), err_msg="x-tif-nonce already used")
        return 200, self._process(docs.session, docs, message, received, injected)

    def _process(
        self,
        session: Session,
        docs: Docs,
        message: dict[str, Any],
        received: datetime,
        injected: dict[str, Any],
    ) -> dict[str, Any]:
        ctx = Context(docs, self.policy, self.settings, received, message)
        try:
            msgid = check_msgid(message, self.settings)
        except Refusal as refusal:
            return reply(-1, received, _now(), err_msg=refusal.err_msg)
        logged = docs.get("msg", msgid)
        if logged is not None:
            return dict(logged["reply"])
        infno = str(message.get("infno", ""))
        output: dict[str, Any] = {}
        try:
            output = self._run(session, ctx, infno, injected)
            answer = reply(0, received, _now(), output=output, warn_msg=ctx.warn)
        except Refusal as refusal:
            answer = reply(-1, received, _now(), err_msg=refusal.err_msg)
        setl_id = output.get("setlinfo", {}).get("setl_id", "") if infno == "2207" else ""
        docs.put(
            "msg",
            msgid,
            {
                "msgid": msgid,
                "infno": infno,
                "psn_no": _psn_no_of(message),
                "setl_id": setl_id,
                "reply": answer,
            },
        )
        return answer

    def _run(
        self, session: Session, ctx: Context, infno: str, injected: dict[str, Any]
    ) -> dict[str, Any]:
        handler = BUSINESS.get(infno)
        if handler is None:
            raise Refusal(f"infno {infno} is not served")
        if injected.get("mode") == "error":
            raise Refusal("injected fault: the center refused the message")
        if infno != "9001":
            signing.require_sign_no(ctx)
        with session.begin_nested():  # a refusal undoes the code's half-made changes
            return handler(ctx)

    def _take_fault(self, docs: Docs, infno: str) -> dict[str, Any]:
        fault = docs.get("fault", infno)
        if fault is None:
            return {}
        fault["count"] = int(fault.get("count", 1)) - 1
        if fault["count"] <= 0:
            docs.drop("fault", infno)
        else:
            docs.put("fault", infno, fault)
        return fault
