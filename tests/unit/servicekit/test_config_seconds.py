"""servicekit.config.seconds and seconds_list: durations read from the environment."""

from __future__ import annotations

import pytest

from servicekit.config import MissingSetting, seconds, seconds_list


def test_seconds_reads_fractions_and_falls_back_to_the_default() -> None:
    assert seconds({"T": " 0.5 "}, "T", 3) == 0.5
    assert seconds({}, "T", 3) == 3
    assert seconds({"T": ""}, "T", 3) == 3


def test_zero_is_a_duration_unless_refused() -> None:
    assert seconds({"T": "0"}, "T", 3) == 0
    with pytest.raises(MissingSetting, match=r"^setting T must be more than 0$"):
        seconds({"T": "0"}, "T", 3, allow_zero=False)


@pytest.mark.parametrize("allow_zero", [True, False])
def test_negative_is_refused_with_the_bound_that_applies(allow_zero: bool) -> None:
    bound = "0 or more" if allow_zero else "more than 0"
    with pytest.raises(MissingSetting, match=rf"^setting T must be {bound}$"):
        seconds({"T": "-1"}, "T", 3, allow_zero=allow_zero)


@pytest.mark.parametrize("value", ["soon", "nan", "inf", "-inf"])
def test_what_is_no_number_of_seconds_is_refused(value: str) -> None:
    with pytest.raises(MissingSetting, match="must be a number of seconds"):
        seconds({"T": value}, "T", 3)


@pytest.mark.parametrize("value", ["0.2,-1", "0.2,nan", "inf", ","])
def test_seconds_list_refuses_what_is_no_duration(value: str) -> None:
    with pytest.raises(MissingSetting):
        seconds_list({"T": value}, "T", (1.0,))
    assert seconds_list({"T": "0.2, 0,0.5"}, "T", (1.0,)) == (0.2, 0.0, 0.5)
