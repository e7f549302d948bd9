"""The typed 4xxx messages (envelope/messages/insurance.py): what an attacker or a broken
peer sends is refused with 1009 naming the field, and an answer is what the frontend says."""

from __future__ import annotations

from typing import Any

import pytest

from envelope import codes
from envelope.codes import EnvelopeError
from envelope.messages import insurance, validate_answer, validate_request
from envelope.split import SPLIT_FIELDS

REG = {"order_no": "R1", "mrn": "M1", "kind": "REG", "lock_id": "L1", "acct_used": True}
CHARGE = {"order_no": "C1", "mrn": "M1", "kind": "CHARGE", "bill_nos": ["B1"], "bills_digest": "d"}
SPLIT = {
    "medfee_sumamt": 2800,
    "fulamt_ownpay_amt": 300,
    "preselfpay_amt": 200,
    "inscp_scp_amt": 2300,
    "hifp_pay": 910,
    "acct_pay": 1590,
    "psn_cash_pay": 300,
}
SETTLED = {
    "order_no": "R1",
    "status": "SETTLED",
    "setl_id": "S1",
    "mdtrt_id": "D1",
    "psn_no": "P1",
    "insutype": "310",
    "split": SPLIT,
}


def refused(trade: str, body: Any, answer: bool = False) -> str:
    with pytest.raises(EnvelopeError) as caught:
        (validate_answer if answer else validate_request)(trade, body)
    assert caught.value.result_code == codes.BODY_INVALID
    return caught.value.result_msg


@pytest.mark.parametrize("trade", ["4004", "4005"])
def test_settle_requests_of_either_kind_are_read_with_their_fields(trade: str) -> None:
    reg = validate_request(trade, REG)
    assert isinstance(reg, insurance.Presettle) and reg.lock_id == "L1" and reg.acct_used
    charge = validate_request(trade, CHARGE)
    assert isinstance(charge, insurance.Presettle) and charge.bill_nos == ["B1"]
    assert not charge.acct_used  # not asked: the personal account is left alone


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({**REG, "kind": "FREE"}, "kind"),
        ({k: v for k, v in REG.items() if k != "lock_id"}, "lock_id"),
        ({**REG, "lock_id": ""}, "lock_id"),
        ({k: v for k, v in CHARGE.items() if k != "bills_digest"}, "bills_digest"),
        ({**CHARGE, "bill_nos": []}, "bill_nos"),
        ({**CHARGE, "bill_nos": [1]}, "bill_nos"),
        ({**REG, "acct_used": "true"}, "acct_used"),
        ({**REG, "order_no": 123}, "order_no"),
        ({**REG, "medfee_sumamt": 1}, "medfee_sumamt"),  # amounts never come from outside
        ({**REG, "split": SPLIT}, "split"),
    ],
)
def test_forged_settle_requests_are_refused_naming_the_field(
    body: dict[str, Any], named: str
) -> None:
    assert named in refused("4004", body)


@pytest.mark.parametrize(
    ("trade", "body"),
    [
        ("4003", {"id_card_no": 110105198001010016, "name": "张伟"}),
        ("4003", {"id_card_no": "110105198001010016"}),
        ("4006", {"order_no": "R1"}),
        ("4007", {"order_no": ["R1"]}),
        ("4008", {"date": "2026-13-01"}),
        ("4009", {"date": "２０２６-11-26"}),
        ("4007", ["R1"]),
    ],
)
def test_other_forged_requests_are_refused(trade: str, body: Any) -> None:
    assert refused(trade, body)


def test_the_split_model_has_exactly_the_contracts_fields() -> None:
    assert set(insurance.InsuranceSplit.model_fields) == set(SPLIT_FIELDS)


@pytest.mark.parametrize("trade", ["4004", "4005", "4007"])
def test_an_order_answer_carries_a_split_that_adds_up_in_fen(trade: str) -> None:
    answer = validate_answer(trade, SETTLED)
    assert isinstance(answer, insurance.OrderAnswer) and answer.split is not None
    assert answer.split.acct_pay == 1590


@pytest.mark.parametrize(
    "body",
    [
        {**SETTLED, "split": {**SPLIT, "psn_cash_pay": 301}},  # does not add up
        {**SETTLED, "split": {**SPLIT, "acct_pay": 15.9}},  # yuan, not fen
        {**SETTLED, "split": {**SPLIT, "hifp_pay": "910"}},
        {**SETTLED, "split": {**SPLIT, "hifp_pay": -1, "acct_pay": 2501}},
        {**SETTLED, "split": {k: v for k, v in SPLIT.items() if k != "inscp_scp_amt"}},
        {**SETTLED, "setl_id": ""},  # settled without a settlement
        {**SETTLED, "status": "PAID"},
        {**SETTLED, "status": "NONE"},  # never pre-settled yet with a split
        {**SETTLED, "status": "PRESETTLED", "split": None},
    ],
)
def test_order_answers_outside_the_contract_are_refused(body: dict[str, Any]) -> None:
    assert refused("4005", body, answer=True)


def test_4007_of_an_order_never_seen_is_none_with_nothing_settled() -> None:
    none = {"order_no": "R9", "status": "NONE", "setl_id": "", "mdtrt_id": "", "split": None}
    assert validate_answer("4007", none).status == "NONE"  # type: ignore[attr-defined]


def test_4003_answer_balance_is_whole_fen() -> None:
    person = {
        "psn_no": "P1",
        "insutype": "310",
        "insuplc_admdvs": "110105",
        "psn_type": "11",
        "acct_balance": 80000,
        "status": "INSURED",
    }
    assert validate_answer("4003", person).acct_balance == 80000  # type: ignore[attr-defined]
    assert refused("4003", {**person, "acct_balance": 800.0}, answer=True)
    assert refused("4003", {**person, "status": "NOT_INSURED"}, answer=True)
