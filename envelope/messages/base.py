"""The typed body of every trade code: a request model and the answer it expects.

A request is strict and closed: a field of the wrong type (a bool for an int, "12" for an
int, 1.5 for fen) or one the contract does not name is 1009 naming it. An answer is strict
about the fields the contract documents and tolerates more (DESIGN §3: "more fields may be
added, none renamed"). Money is int fen, never below zero.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, ValidationError
from pydantic_core import ErrorDetails

from envelope import codes
from envelope.catalogue import is_date
from envelope.trades import Trade


def _day(value: str) -> str:
    if not is_date(value):
        raise ValueError("must be a real day yyyy-MM-dd (1900-2199, ASCII digits)")
    return value


Text = Annotated[str, Field(min_length=1)]
Day = Annotated[str, AfterValidator(_day)]
Fen = Annotated[StrictInt, Field(ge=0)]


class Message(BaseModel):
    """A body: frozen, strict; an answer keeps the fields it does not name."""

    model_config = ConfigDict(frozen=True, strict=True, extra="allow")


class Ack(Message):
    """An answer the contract gives no fields (the receiver acknowledges)."""


class Request(Message):
    """A request body; a subclass names its trade and the answer it expects."""

    model_config = ConfigDict(extra="forbid")
    trade: ClassVar[Trade]
    answer: ClassVar[type[Message]] = Ack

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "trade" in cls.__dict__:
            _REQUESTS[cls.trade] = cls


_REQUESTS: dict[Trade, type[Request]] = {}


def request_model(trade: str) -> type[Request]:
    """The request model of a trade code, or 1006."""
    model = _REQUESTS.get(trade)  # type: ignore[call-overload]  # a str keys a StrEnum
    if model is None:
        raise codes.EnvelopeError(codes.UNKNOWN_TRADE_CODE, f"unknown trade code {trade!r}")
    return model


def answer_model(trade: str) -> type[Message]:
    """The answer model of a trade code, or 1006."""
    return request_model(trade).answer


def _where(error: ErrorDetails) -> str:
    return ".".join(str(part) for part in error["loc"]) or "body"


def explain(exc: ValidationError) -> str:
    """The first fault of a body, naming its field (no input value: it may be personal)."""
    error = exc.errors(include_url=False, include_input=False)[0]
    where, kind = _where(error), error["type"]
    if kind == "missing":
        return f"body field {where} is required"
    if kind == "extra_forbidden":
        return f"body field {where} is not part of this trade code"
    return f"body field {where}: {error['msg']}"


def _validated(model: type[Message], body: Any) -> Any:
    if not isinstance(body, dict):
        raise codes.EnvelopeError(codes.BODY_INVALID, "body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise codes.EnvelopeError(codes.BODY_INVALID, explain(exc)) from None


def validate_request(trade: str, body: Any) -> Request:
    """The body as its trade's typed request, or 1009 naming the field (1006: no such code)."""
    validated: Request = _validated(request_model(trade), body)
    return validated


def validate_answer(trade: str, body: Any) -> Message:
    """A 0000 answer's body as its trade's typed answer, or 1009 naming the field."""
    return _validated(answer_model(trade), body)  # type: ignore[no-any-return]
