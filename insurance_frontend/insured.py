"""Talking to the center on behalf of a trade code: refusals become result codes, and the
insured person (1101) answers 4003."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envelope import codes
from envelope.codes import EnvelopeError
from insurance_frontend.ledger import OK, UNKNOWN
from insurance_frontend.national import Answer, NationalClient, Operator
from insurance_frontend.signin import SignIns
from servicekit.money import NotAnAmount, center_yuan_to_fen


@dataclass(frozen=True)
class Person:
    """An insured person as 1101 describes them."""

    psn_no: str
    insutype: str
    insuplc_admdvs: str
    psn_type: str
    balance_fen: int


def raise_for(infno: str, answer: Answer) -> None:
    """Map an answer that is not OK: lost reply 3003, never sent 3002, refused 2015."""
    if answer.outcome == OK:
        return
    if answer.outcome == UNKNOWN:
        raise EnvelopeError(
            codes.TIMED_OUT,
            f"insurance {infno}: no reply, outcome unknown; query 4007 before retrying",
        )
    if not answer.reached:
        raise EnvelopeError(codes.INSURANCE_UNAVAILABLE)
    raise EnvelopeError(
        codes.INSURANCE_REFUSED, f"insurance center refused {infno}: {answer.err_msg}"
    )


class CenterCalls:
    """Sends a message with today's sign_no and returns its output, or raises a result code."""

    def __init__(self, national: NationalClient, signins: SignIns) -> None:
        self.national = national
        self.signins = signins

    def ask(
        self,
        infno: str,
        node: dict[str, Any],
        *,
        trace_id: str,
        operator: Operator,
        order_no: str | None = None,
        insuplc_admdvs: str = "",
    ) -> Answer:
        """One business message; an answer that is not OK raises."""
        answer = self.national.call(
            infno,
            node,
            sign_no=self.signins.ensure(),
            insuplc_admdvs=insuplc_admdvs,
            order_no=order_no,
            trace_id=trace_id,
            operator=operator,
        )
        raise_for(infno, answer)
        return answer

    def person(self, id_card_no: str, name: str, *, trace_id: str, operator: Operator) -> Person:
        """1101 for an ID card; a refusal or no insurance is 2012 NOT_INSURED."""
        node = {
            "data": {
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": id_card_no,
                "card_sn": "",
                "begntime": "",
                "psn_cert_type": "01",
                "certno": id_card_no,
                "psn_name": name,
            }
        }
        try:
            output = self.ask("1101", node, trace_id=trace_id, operator=operator).output
        except EnvelopeError as exc:
            if exc.result_code == codes.INSURANCE_REFUSED:
                raise EnvelopeError(codes.NOT_INSURED, exc.result_msg) from exc
            raise
        base, insured = output.get("baseinfo") or {}, output.get("insuinfo") or []
        if not base.get("psn_no") or not insured:
            raise EnvelopeError(codes.NOT_INSURED, "the center knows no insurance for this person")
        first = insured[0]
        try:
            balance = center_yuan_to_fen(first.get("balc") or "0")
        except NotAnAmount as exc:
            raise EnvelopeError(codes.INSURANCE_REFUSED, f"1101 balance unreadable: {exc}") from exc
        return Person(
            str(base["psn_no"]),
            str(first.get("insutype") or ""),
            str(first.get("insuplc_admdvs") or ""),
            str(first.get("psn_type") or ""),
            balance,
        )


def person_info_body(person: Person) -> dict[str, Any]:
    """The body of the 4003 answer."""
    return {
        "psn_no": person.psn_no,
        "insutype": person.insutype,
        "insuplc_admdvs": person.insuplc_admdvs,
        "psn_type": person.psn_type,
        "acct_balance": person.balance_fen,
        "status": "INSURED",
    }
