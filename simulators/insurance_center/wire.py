"""The national wire format as the center speaks it: x-tif transport headers, yuan amounts,
the reply object, and the context a business code runs in."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from servicekit import money
from simulators.insurance_center.policy import Policy
from simulators.insurance_center.settings import Settings
from simulators.insurance_center.store import Docs

SHANGHAI = ZoneInfo("Asia/Shanghai")
_MSGID_TAIL = re.compile(r"^\d{18}$")


class Refusal(Exception):
    """A business refusal: the reply carries infcode -1 and this err_msg."""

    def __init__(self, err_msg: str) -> None:
        super().__init__(err_msg)
        self.err_msg = err_msg


@dataclass
class Context:
    """Everything a business code needs: the documents, the rules, the clock, the message."""

    docs: Docs
    policy: Policy
    settings: Settings
    now: datetime
    message: dict[str, Any]
    warn: str = ""

    @property
    def input(self) -> dict[str, Any]:
        """The message's input node."""
        value = self.message.get("input")
        if not isinstance(value, dict):
            raise Refusal("input is missing")
        return value

    def data(self, node: str = "data") -> dict[str, Any]:
        """One object node of input (data, signIn, signOut...)."""
        value = self.input.get(node)
        if not isinstance(value, dict):
            raise Refusal(f"input.{node} is missing")
        return value


def expected_signature(timestamp: str, token: str, nonce: str) -> str:
    """x-tif-signature: lowercase hex SHA-256 of timestamp + paas token + nonce + timestamp."""
    return hashlib.sha256(f"{timestamp}{token}{nonce}{timestamp}".encode()).hexdigest()


def transport_fault(headers: Mapping[str, str], settings: Settings, now: datetime) -> str | None:
    """Why the x-tif headers are refused, or None when they are good."""
    paasid = headers.get("x-tif-paasid", "")
    timestamp = headers.get("x-tif-timestamp", "")
    nonce = headers.get("x-tif-nonce", "")
    signature = headers.get("x-tif-signature", "")
    if not hmac.compare_digest(paasid, settings.paas_id):
        return "x-tif-paasid unknown"
    if not timestamp.isdigit() or abs(int(now.timestamp()) - int(timestamp)) > (
        settings.clock_window_seconds
    ):
        return "x-tif-timestamp missing or outside the 300 s window"
    if len(nonce) < 8:
        return "x-tif-nonce missing"
    wanted = expected_signature(timestamp, settings.paas_token, nonce)
    if not hmac.compare_digest(signature.lower(), wanted):
        return "x-tif-signature does not match"
    return None


def check_msgid(message: dict[str, Any], settings: Settings) -> str:
    """The msgid when it is fixmedins_code + yyyyMMddHHmmss + 4 digits (30 chars)."""
    msgid = message.get("msgid")
    code = settings.fixmedins_code
    if not isinstance(msgid, str) or len(msgid) != 30:
        raise Refusal("msgid must be 30 characters")
    if not msgid.startswith(code) or not _MSGID_TAIL.match(msgid[len(code) :]):
        raise Refusal("msgid must be fixmedins_code + yyyyMMddHHmmss + 4-digit sequence")
    if message.get("fixmedins_code") != code:
        raise Refusal("fixmedins_code is not a contracted institution")
    return msgid


def to_fen(value: Any, name: str) -> int:
    """A yuan amount on the wire (string or number, at most two decimals) as integer fen."""
    try:
        return money.center_yuan_to_fen(value)
    except money.NotAnAmount as exc:
        raise Refusal(f"{name} is not an amount with at most two decimals") from exc


def yuan(fen: int) -> str:
    """Integer fen as a yuan string with two decimals: 1230 -> '12.30', -5 -> '-0.05'."""
    return money.fen_to_yuan(fen)


def wire_time(moment: datetime) -> str:
    """yyyy-MM-dd HH:mm:ss in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def new_id(moment: datetime, digits: int = 10) -> str:
    """A center serial: yyyyMMddHHmmss + random digits."""
    return moment.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S") + "".join(
        secrets.choice("0123456789") for _ in range(digits)
    )


def reply(
    infcode: int,
    received: datetime,
    now: datetime,
    *,
    output: dict[str, Any] | None = None,
    err_msg: str = "",
    warn_msg: str = "",
) -> dict[str, Any]:
    """The national reply object."""
    stamp = "%Y%m%d%H%M%S%f"
    return {
        "infcode": infcode,
        "inf_refmsgid": new_id(now, 16),
        "refmsg_time": received.astimezone(SHANGHAI).strftime(stamp)[:17],
        "respond_time": now.astimezone(SHANGHAI).strftime(stamp)[:17],
        "err_msg": err_msg,
        "warn_msg": warn_msg,
        "signtype": "",
        "cainfo": "",
        "output": output or {},
    }
