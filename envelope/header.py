"""Envelope headers: building requests and responses, and checking a request header (1002)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from envelope import clock, codes
from envelope.catalogue import CHANNELS, PARTIES

VERSION = "1.0"

REQUEST_FIELDS = (
    "version",
    "trade_code",
    "msg_id",
    "sender",
    "receiver",
    "hospital_code",
    "channel",
    "operator",
    "timestamp",
    "nonce",
    "trace_id",
    "sign_type",
    "key_id",
    "sign",
)
RESPONSE_FIELDS = (
    "version",
    "trade_code",
    "msg_id",
    "ref_msg_id",
    "result_code",
    "result_msg",
    "timestamp",
    "trace_id",
    "sign_type",
    "key_id",
    "sign",
)

_TRADE_CODE = re.compile(r"^\d{4}$")
_MSG_ID = re.compile(r"^[A-Z]{2,8}\d{14}[0-9A-Za-z]{4,32}$")
_TOKEN = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")
_NONCE = re.compile(r"^[0-9A-Za-z]{16,64}$")
_SIGN = re.compile(r"^[0-9a-f]{64}$")


def new_msg_id(sender: str) -> str:
    """sender code + yyyyMMddHHmmss + random: unique per message, never reused."""
    return f"{sender}{clock.now().strftime('%Y%m%d%H%M%S')}{secrets.token_hex(8)}"


def new_nonce() -> str:
    """A fresh 24-character random nonce."""
    return secrets.token_hex(12)


def new_trace_id() -> str:
    """A trace id carried unchanged through every hop."""
    return secrets.token_hex(16)


def request_header(
    *,
    trade_code: str,
    sender: str,
    receiver: str,
    hospital_code: str,
    channel: str,
    operator: str,
    trace_id: str | None = None,
) -> dict[str, Any]:
    """A request header without its signature fields."""
    return {
        "version": VERSION,
        "trade_code": trade_code,
        "msg_id": new_msg_id(sender),
        "sender": sender,
        "receiver": receiver,
        "hospital_code": hospital_code,
        "channel": channel,
        "operator": operator,
        "timestamp": clock.now_iso(),
        "nonce": new_nonce(),
        "trace_id": trace_id or new_trace_id(),
    }


def response_header(
    *,
    trade_code: str,
    ref_msg_id: str,
    result_code: str,
    result_msg: str,
    trace_id: str,
    sender: str,
) -> dict[str, Any]:
    """A response header without its signature fields."""
    return {
        "version": VERSION,
        "trade_code": trade_code,
        "msg_id": new_msg_id(sender),
        "ref_msg_id": ref_msg_id,
        "result_code": result_code,
        "result_msg": result_msg,
        "timestamp": clock.now_iso(),
        "trace_id": trace_id,
    }


def _require(header: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None) -> str:
    value = header.get(name)
    if not isinstance(value, str) or not value:
        raise codes.EnvelopeError(codes.BAD_FIELD, f"header field {name} is missing")
    if pattern is not None and not pattern.match(value):
        raise codes.EnvelopeError(codes.BAD_FIELD, f"header field {name} is malformed")
    return value


def check_request_header(header: Any) -> None:
    """Every request header field present and well formed, else 1002 naming the field."""
    if not isinstance(header, dict):
        raise codes.EnvelopeError(codes.BAD_FIELD, "header must be a JSON object")
    if _require(header, "version") != VERSION:
        raise codes.EnvelopeError(codes.BAD_FIELD, "header field version must be 1.0")
    _require(header, "trade_code", _TRADE_CODE)
    _require(header, "msg_id", _MSG_ID)
    for name in ("sender", "receiver"):
        if _require(header, name) not in PARTIES:
            raise codes.EnvelopeError(codes.BAD_FIELD, f"header field {name} is not a party")
    _require(header, "hospital_code", _TOKEN)
    if _require(header, "channel") not in CHANNELS:
        raise codes.EnvelopeError(codes.BAD_FIELD, "header field channel is not a channel")
    _require(header, "operator")
    _require(header, "timestamp")
    _require(header, "nonce", _NONCE)
    _require(header, "trace_id", _TOKEN)
    _require(header, "sign_type")
    _require(header, "key_id", _TOKEN)
    _require(header, "sign", _SIGN)
