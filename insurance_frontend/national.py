"""The national message format to the insurance center (DESIGN §9): msgid, x-tif headers,
the request object, and the POST whose lost reply means OUTCOME UNKNOWN."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError

from insurance_frontend.ledger import FAILED, OK, UNKNOWN, Ledger
from insurance_frontend.settings import Settings

log = logging.getLogger("insurance_frontend.national")

INFVER = "V1.0"
OPTER_STAFF, OPTER_KIOSK, OPTER_MOBILE = "1", "2", "3"


def make_msgid(fixmedins_code: str, moment: datetime, sequence: int) -> str:
    """fixmedins_code (12) + yyyyMMddHHmmss + 4-digit sequence: 30 characters."""
    if len(fixmedins_code) != 12:
        raise ValueError("fixmedins_code must be 12 characters")
    return f"{fixmedins_code}{moment.strftime('%Y%m%d%H%M%S')}{sequence % 10000:04d}"


def tif_signature(timestamp: str, paas_token: str, nonce: str) -> str:
    """Lowercase hex SHA-256 of timestamp + paas token + nonce + timestamp."""
    return hashlib.sha256(f"{timestamp}{paas_token}{nonce}{timestamp}".encode()).hexdigest()


def tif_headers(
    paas_id: str, paas_token: str, *, timestamp: int | None = None, nonce: str | None = None
) -> dict[str, str]:
    """The transport headers of one request."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        "x-tif-paasid": paas_id,
        "x-tif-timestamp": stamp,
        "x-tif-nonce": nonce,
        "x-tif-signature": tif_signature(stamp, paas_token, nonce),
        "Content-Type": "application/json; charset=utf-8",
    }


@dataclass(frozen=True)
class Operator:
    """Who caused the message: opter_type 1 staff, 2 kiosk, 3 mobile."""

    opter_type: str = OPTER_STAFF
    opter: str = "INSFE"
    opter_name: str = "insurance_frontend"


@dataclass(frozen=True)
class Answer:
    """What became of one message: OK, FAILED (refused or never sent) or UNKNOWN."""

    msgid: str
    outcome: str
    output: dict[str, Any] = field(default_factory=dict)
    err_msg: str = ""
    reached: bool = True  # False when the center surely never saw the message


def _never_sent(exc: HTTPError) -> bool:
    """True when the center surely never saw the message (refused, or no connection in time)."""
    return isinstance(exc, (NewConnectionError, ConnectTimeoutError))


def _read_reply(status: int, content: bytes) -> tuple[str, dict[str, Any], str]:
    """(outcome, output, err_msg) of an HTTP answer; anything unreadable is UNKNOWN."""
    try:
        reply = json.loads(content.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        reply = None
    if not isinstance(reply, dict) or "infcode" not in reply:
        if 400 <= status < 500:
            return FAILED, {}, f"center refused the request (HTTP {status})"
        return UNKNOWN, {}, f"unreadable reply (HTTP {status})"
    if str(reply["infcode"]) == "0":
        output = reply.get("output")
        return OK, output if isinstance(output, dict) else {}, ""
    return FAILED, {}, str(reply.get("err_msg") or "center refused the message")


def center_pool() -> urllib3.PoolManager:
    """Kept-alive connections to the center for the whole process, through urllib3 directly
    (requests cost more CPU per call than the rest of the POST): no retries (a message whose
    reply is lost is resolved by 2601, never sent again blindly), no proxy from the
    environment (the private line has none)."""
    return urllib3.PoolManager(num_pools=2, maxsize=16, retries=False)


class NationalClient:
    """Sends national messages to the center's callService address, through the ledger."""

    def __init__(
        self, settings: Settings, ledger: Ledger, pool: urllib3.PoolManager | None = None
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.pool = pool or center_pool()

    def call(
        self,
        infno: str,
        node: dict[str, Any],
        *,
        sign_no: str = "",
        insuplc_admdvs: str = "",
        order_no: str | None = None,
        trace_id: str = "",
        operator: Operator | None = None,
    ) -> Answer:
        """Write the message to the ledger, send it, record the reply; never raises on I/O."""
        who = operator or Operator(OPTER_STAFF, self.settings.opter_no, self.settings.opter_name)

        def build(sequence: int, moment: datetime) -> dict[str, Any]:
            msgid = make_msgid(self.settings.fixmedins_code, moment, sequence)
            return self.message(infno, node, msgid, moment, sign_no, insuplc_admdvs, who)

        request = self.ledger.open(
            infno, build, order_no=order_no, sign_no=sign_no, trace_id=trace_id
        )
        msgid = str(request["msgid"])
        answer, reply_text = self._post(msgid, request)
        self.ledger.close(msgid, answer.outcome, reply_text, answer.err_msg)
        log.info("national %s %s -> %s", infno, msgid, answer.outcome)
        return answer

    def message(
        self,
        infno: str,
        node: dict[str, Any],
        msgid: str,
        moment: datetime,
        sign_no: str,
        insuplc_admdvs: str,
        who: Operator,
    ) -> dict[str, Any]:
        """The national request object."""
        s = self.settings
        return {
            "infno": infno,
            "msgid": msgid,
            "mdtrtarea_admvs": s.mdtrtarea_admvs,
            "insuplc_admdvs": insuplc_admdvs,
            "recer_sys_code": "FSI_LOCAL",
            "dev_no": "",
            "dev_safe_info": "",
            "cainfo": "",
            "signtype": "",
            "infver": INFVER,
            "opter_type": who.opter_type,
            "opter": who.opter,
            "opter_name": who.opter_name,
            "inf_time": moment.strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": s.fixmedins_code,
            "fixmedins_name": s.fixmedins_name,
            "sign_no": sign_no,
            "input": node,
        }

    def http(self, data: bytes) -> tuple[int, bytes]:
        """POST one request to the center: (HTTP status, reply bytes); raises HTTPError."""
        s = self.settings
        response = self.pool.request(
            "POST",
            s.center_url,
            body=data,
            headers=tif_headers(s.paas_id, s.paas_token),
            timeout=urllib3.Timeout(connect=s.center_connect_timeout, read=s.center_read_timeout),
        )
        return response.status, response.data

    def _post(self, msgid: str, request: dict[str, Any]) -> tuple[Answer, str | None]:
        data = json.dumps(request, ensure_ascii=False).encode("utf-8")
        try:
            status, content = self.http(data)
        except HTTPError as exc:
            if _never_sent(exc):
                return Answer(
                    msgid, FAILED, err_msg="insurance center not reachable", reached=False
                ), None
            return Answer(msgid, UNKNOWN, err_msg=f"no reply: {type(exc).__name__}"), None
        outcome, output, err_msg = _read_reply(status, content)
        text = content.decode("utf-8", errors="replace")
        return Answer(msgid, outcome, output, err_msg), text
