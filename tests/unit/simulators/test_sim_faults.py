"""Fault-injection requests of the payment simulators: a bad one is a 400, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.exceptions import BadRequest

from simulators.faults import fault_fields


def test_a_good_request_becomes_the_fault_row_fields() -> None:
    assert fault_fields({"mode": "drop", "seconds": "2.5", "count": 3}) == {
        "mode": "drop",
        "seconds": 2.5,
        "remaining": 3,
    }
    assert fault_fields({"mode": "error"}) == {"mode": "error", "seconds": 0.0, "remaining": 1}


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"mode": "explode"},
        {"mode": "delay", "seconds": "soon"},
        {"mode": "delay", "seconds": -1},
        {"mode": "delay", "seconds": 1000},
        {"mode": "delay", "count": 0},
    ],
)
def test_a_bad_request_is_refused_with_400(body: Any) -> None:
    with pytest.raises(BadRequest):
        fault_fields(body)
