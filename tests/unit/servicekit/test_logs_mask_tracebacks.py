"""A 500-class failure is logged with its traceback, and the traceback must not carry the
ID number or the name that sat in the exception's message, in a validation error's quoted
input, in SQL parameters, or in the text of a record that could not be written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, ValidationError

from servicekit import logs
from servicekit.logs import JsonFormatter

ID_NUMBER, NAME = "110105198001010016", "张伟"


class _Person(BaseModel):
    id_card_no: int
    name: int


@pytest.fixture()
def logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through the project's JSON formatter into a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    log = logging.getLogger("test.masking")
    log.addHandler(handler)
    log.propagate = False
    yield log, stream
    log.removeHandler(handler)


def _line(stream: io.StringIO) -> dict[str, str]:
    text = stream.getvalue()
    assert ID_NUMBER not in text and NAME not in text, text
    return dict(json.loads(text.splitlines()[-1]))


def test_an_exception_message_with_an_id_number_and_a_name_is_masked_in_the_traceback(
    logger: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = logger
    try:
        raise RuntimeError(f"bind failed for {ID_NUMBER} {NAME} (token{ID_NUMBER})")
    except RuntimeError:
        log.exception("unhandled error")
    line = _line(stream)
    assert "RuntimeError: bind failed for 110105********0016 张*" in line["exc"]


def test_a_validation_errors_quoted_input_is_masked(
    logger: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = logger
    try:
        _Person.model_validate({"id_card_no": f"x{ID_NUMBER}", "name": f"{NAME}\udc80"})
    except ValidationError:
        log.exception("unhandled error")
    line = _line(stream)
    assert "input_value=***" in line["exc"] and "ValidationError" in line["exc"]


def test_sql_parameters_in_a_database_error_are_masked(
    logger: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = logger
    try:
        raise ValueError(
            "(builtins.UnicodeEncodeError) surrogates not allowed\n"
            "[SQL: INSERT INTO bindings (id_card_masked, patient_name) VALUES (?, ?)]\n"
            f"[parameters: ('{ID_NUMBER}', 'Zhang Wei')]"
        )
    except ValueError:
        log.exception("unhandled error")
    assert "[parameters: ***]" in _line(stream)["exc"]


def test_a_lone_surrogate_in_a_message_is_written_escaped_not_lost(
    logger: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = logger
    log.warning("trade code %s refused", "\udc80")
    line = stream.getvalue().splitlines()[-1]
    line.encode("utf-8")  # a strict UTF-8 stream can write it
    assert json.loads(line)["message"] == "trade code \udc80 refused"


def test_a_record_that_cannot_be_written_is_reported_without_its_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = logs._Handler(io.StringIO())
    handler.setFormatter(JsonFormatter("test"))
    log = logging.getLogger("test.broken")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.error("bound %d", f"{ID_NUMBER} {NAME}")  # %d of a str: formatting fails
    finally:
        log.removeHandler(handler)
    report = capsys.readouterr().err
    assert "test.broken" in report
    assert ID_NUMBER not in report and NAME not in report


def test_a_database_error_quoted_in_a_message_has_its_parameters_masked(
    logger: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = logger
    error = f"(sqlite3.IntegrityError) NOT NULL\n[parameters: ('{ID_NUMBER}', '{NAME}')]"
    log.warning("order %s step %s will retry: %s", "O1", "settle", error)
    assert _line(stream)["message"].endswith("[parameters: ***]")
