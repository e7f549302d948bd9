"""The typed bodies: every trade code has a request model; a request is strict and closed,
an answer strict about what it documents; every fault is 1009 naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from envelope import CATALOGUE, codes
from envelope.messages import answer_model, request_model, validate_answer, validate_request
from envelope.messages.cloud import WindowRefund
from envelope.trades import Trade

REFUND = {"order_no": "O1", "refund_no": "WR1"}


def _refusal(trade: str, body: Any, *, answer: bool = False) -> str:
    check = validate_answer if answer else validate_request
    with pytest.raises(codes.EnvelopeError) as refused:
        check(trade, body)
    assert refused.value.result_code == codes.BODY_INVALID
    return refused.value.result_msg


def test_every_trade_code_is_named_and_has_a_request_model_of_its_own() -> None:
    assert len(Trade) == 37 and set(CATALOGUE) == set(Trade)
    for trade in Trade:
        assert request_model(trade).trade is trade
        assert request_model(str(trade)) is request_model(trade)


def test_an_unknown_trade_code_has_no_model_and_is_1006() -> None:
    with pytest.raises(codes.EnvelopeError) as refused:
        answer_model("7777")
    assert refused.value.result_code == codes.UNKNOWN_TRADE_CODE


def test_an_unknown_request_field_is_1009_naming_it() -> None:
    assert "smuggled" in _refusal(Trade.PATIENT_INFO, {"mrn": "M1", "smuggled": 1})


@pytest.mark.parametrize("amount", [True, "100", 100.0, 1.5, -1, {"fen": 1}, [100]])
def test_money_is_a_plain_int_of_fen_and_never_negative(amount: Any) -> None:
    assert "refund_fen" in _refusal(Trade.WINDOW_REFUND, {**REFUND, "refund_fen": amount})


def test_a_bool_or_a_number_is_not_text() -> None:
    assert "mrn" in _refusal(Trade.PATIENT_INFO, {"mrn": True})
    assert "mrn" in _refusal(Trade.PATIENT_INFO, {"mrn": 12})
    assert "mrn" in _refusal(Trade.PATIENT_INFO, {"mrn": ""})


def test_a_body_that_is_no_object_is_1009() -> None:
    assert "object" in _refusal(Trade.DEPARTMENTS, [])


def test_a_valid_request_is_typed_and_frozen() -> None:
    request = validate_request(Trade.WINDOW_REFUND, {**REFUND, "refund_fen": 100})
    assert isinstance(request, WindowRefund) and request.refund_fen == 100
    with pytest.raises(ValueError):
        request.refund_fen = 1  # type: ignore[misc]
    assert request.model_dump(mode="json", exclude_none=True) == {**REFUND, "refund_fen": 100}


def test_an_answer_keeps_fields_the_contract_does_not_name_but_needs_those_it_does() -> None:
    answer = validate_answer(Trade.WINDOW_REFUND, {"ack": True, "order_no": "O1", "new": 1})
    assert answer.model_dump()["new"] == 1
    assert "order_no" in _refusal(Trade.WINDOW_REFUND, {"ack": True}, answer=True)
    assert "ack" in _refusal(Trade.REPORT_READY, {"ack": "yes"}, answer=True)
