"""ID card numbers (GB 11643) and masking of personal data in log lines."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest

from servicekit.idcard import InvalidIdCard, check_digit, parse_id_card
from servicekit.logs import JsonFormatter, bind_trace_id
from servicekit.masking import mask_id_card, mask_name, mask_text


@pytest.mark.parametrize(
    "number",
    ["110105198001010016", "310101199206150027", "440304197503200035", "110108201008080010"],
)
def test_demo_patients_have_valid_numbers(number: str) -> None:
    assert parse_id_card(number).number == number


def test_gender_and_birth_come_from_the_number() -> None:
    card = parse_id_card("310101199206150027")
    assert card.gender == "F" and card.birth_date == date(1992, 6, 15)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105198001010017", "check digit"),
        ("11010519800101001", "17 digits"),
        ("990105198001010016", "region"),
        ("110105198002300016", "birth date"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(number: str, reason: str) -> None:
    with pytest.raises(InvalidIdCard, match=reason):
        parse_id_card(number)


def test_check_digit_x() -> None:
    assert check_digit("11010519491231002") == "X"


def test_masks() -> None:
    assert mask_id_card("110105198001010016") == "110105********0016"
    assert mask_name("张伟") == "张*"
    text = mask_text('{"id_card_no": "110105198001010016", "name": "张伟"}')
    assert "198001010016" not in text and "张伟" not in text


def test_json_log_line_masks_and_carries_the_trace_id() -> None:
    bind_trace_id("trace-abc")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "bound 110105198001010016 name=张伟", None, None
    )
    line = json.loads(JsonFormatter("svc").format(record))
    assert line["trace_id"] == "trace-abc"
    assert "110105198001010016" not in line["message"] and "张伟" not in line["message"]
    assert line["time"].endswith("+08:00")
