"""One typed model per trade code (request and answer bodies), built by the sender, read
by the receiver, checked by the gateway in both directions."""

from envelope.messages import cloud, his, insurance
from envelope.messages.base import (
    Ack,
    Day,
    Fen,
    Message,
    Request,
    Text,
    answer_model,
    request_model,
    validate_answer,
    validate_request,
)

__all__ = [
    "Ack",
    "Day",
    "Fen",
    "Message",
    "Request",
    "Text",
    "answer_model",
    "cloud",
    "his",
    "insurance",
    "request_model",
    "validate_answer",
    "validate_request",
]
