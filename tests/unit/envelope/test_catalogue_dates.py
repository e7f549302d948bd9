"""A body's date field is a real calendar day in ASCII digits within the years a hospital
keeps: anything else is 1009 at the door, never a ValueError or OverflowError in a handler."""

from __future__ import annotations

import pytest

from envelope import codes
from envelope.messages import validate_request
from envelope.trades import Trade


@pytest.mark.parametrize(
    "day",
    [
        "2024-02-30",
        "2024-13-01",
        "0000-00-00",
        "9999-12-31",
        "1899-12-31",
        "2024-01-01\n",
        "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661",  # Arabic-Indic digits
        "２０２４-01-01",  # full-width digits
        "2024-1-1",
    ],
)
def test_an_impossible_or_foreign_date_is_1009(day: str) -> None:
    body = {"mrn": "M0001", "start_date": day, "end_date": "2024-01-31"}
    with pytest.raises(codes.EnvelopeError) as refused:
        validate_request(Trade.LAB_REPORTS, body)
    assert refused.value.result_code == codes.BODY_INVALID
    assert "start_date" in refused.value.result_msg


@pytest.mark.parametrize("day", ["1900-01-01", "2024-02-29", "2199-12-31"])
def test_a_real_day_passes(day: str) -> None:
    validate_request(Trade.LAB_REPORTS, {"mrn": "M0001", "start_date": day, "end_date": day})
