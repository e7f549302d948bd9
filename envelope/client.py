"""Sending an envelope: sign, POST with timeouts, verify the reply.

A reply that never came is 3003 (outcome unknown), never a failure: the caller must query
before it retries. A peer that refused the connection never saw the message: 3001/3002/3004.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import urllib3
from pydantic import ValidationError
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError
from urllib3.util.wait import wait_for_read

from envelope import codes, decoding
from envelope import header as headers
from envelope.canonical import compact_bytes
from envelope.catalogue import HIP, INSFE
from envelope.keys import KeyRing
from envelope.messages import Message, Request, answer_model
from envelope.messages.base import explain
from envelope.signing import sign_envelope, sign_matches

M = TypeVar("M", bound=Message)
_UNAVAILABLE = {HIP: codes.HIS_UNAVAILABLE, INSFE: codes.INSURANCE_UNAVAILABLE}


@dataclass(frozen=True)
class Reply:
    """A verified answer, or one made up locally when none arrived (3xxx)."""

    result_code: str
    result_msg: str
    body: dict[str, Any] = field(default_factory=dict)
    header: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True for 0000."""
        return self.result_code == codes.SUCCESS

    def answer(self, model: type[M]) -> M:
        """The 0000 answer's body as ``model``; a refusal raised with its own code, and an
        answer outside the contract as 3003 (the peer may have acted: query before retrying)."""
        if not self.ok:
            raise codes.EnvelopeError(self.result_code, self.result_msg)
        try:
            return model.model_validate(self.body)
        except ValidationError as exc:
            raise codes.EnvelopeError(
                codes.TIMED_OUT, f"应答不符合接口约定（{explain(exc)}），结果未知，请先查询再重试"
            ) from None

    def typed(self) -> Message:
        """The 0000 answer as its trade code's answer model (see ``answer``)."""
        return self.answer(answer_model(str(self.header.get("trade_code", ""))))

    @property
    def outcome_unknown(self) -> bool:
        """True when the message may or may not have taken effect (3003)."""
        return self.result_code == codes.TIMED_OUT


_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class NeverSent(Exception):
    """The peer refused the connection or did not accept it in time: it has nothing."""


class SentUnanswered(Exception):
    """The request may have reached the peer, and no whole answer came back."""


def _never_sent(exc: HTTPError) -> bool:
    """True when the request surely did not reach the peer (refused or connect timeout)."""
    return isinstance(exc, (NewConnectionError, ConnectTimeoutError))


def connection_pool(maxsize: int = 32) -> urllib3.PoolManager:
    """Kept-alive connections for envelope clients: no retries (a retry is the caller's
    decision, after a query), and no proxy taken from the environment."""
    return urllib3.PoolManager(num_pools=8, maxsize=maxsize, retries=False)


class EnvelopeClient:
    """Sends signed envelopes over one link to one URL.

    The transport is urllib3 directly: requests would cost the gateway a quarter of its
    CPU per relayed message for features a fixed JSON POST does not use."""

    def __init__(
        self,
        url: str,
        ring: KeyRing,
        *,
        sender: str,
        receiver: str,
        hospital_code: str,
        timeout: tuple[float, float] = (2.0, 15.0),
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        self.url = url
        self.ring = ring
        self.sender = sender
        self.receiver = receiver
        self.hospital_code = hospital_code
        self.timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        self.pool = pool or connection_pool()

    def build(
        self,
        trade_code: str,
        body: dict[str, Any],
        *,
        channel: str = "SYSTEM",
        operator: str = "system",
        trace_id: str | None = None,
    ) -> dict[str, Any]:
        """A signed envelope ready to send."""
        head = headers.request_header(
            trade_code=trade_code,
            sender=self.sender,
            receiver=self.receiver,
            hospital_code=self.hospital_code,
            channel=channel,
            operator=operator,
            trace_id=trace_id,
        )
        signed = sign_envelope(head, body, self.ring.active_key_id, self.ring.active_key)
        return {"header": signed, "body": body}

    def send(
        self,
        trade_code: str,
        body: dict[str, Any],
        *,
        channel: str = "SYSTEM",
        operator: str = "system",
        trace_id: str | None = None,
    ) -> Reply:
        """Send one request and return its verified reply."""
        return self.post(
            self.build(trade_code, body, channel=channel, operator=operator, trace_id=trace_id)
        )

    def ask(
        self,
        request: Request,
        *,
        channel: str = "SYSTEM",
        operator: str = "system",
        trace_id: str | None = None,
    ) -> Reply:
        """Send a typed request under its own trade code and return the verified reply."""
        body = request.model_dump(mode="json", exclude_none=True)
        return self.send(request.trade, body, channel=channel, operator=operator, trace_id=trace_id)

    def post(self, envelope: dict[str, Any]) -> Reply:
        """POST an already signed envelope; map transport faults to 3xxx replies."""
        try:
            answer = self._exchange(compact_bytes(envelope))
        except NeverSent:
            code = _UNAVAILABLE.get(self.receiver, codes.PEER_UNAVAILABLE)
            return Reply(code, f"{codes.message(code)}: {self.receiver} not reachable")
        except SentUnanswered:
            return Reply(codes.TIMED_OUT, codes.message(codes.TIMED_OUT))
        return self._verify_reply(envelope["header"], answer)

    def _exchange(self, data: bytes) -> bytes:
        """POST ``data``; the answer's bytes, whatever its HTTP status. NeverSent when the
        peer surely did not get it, SentUnanswered when it may have."""
        try:
            response = self.pool.request(
                "POST", self.url, body=data, timeout=self.timeout, headers=_HEADERS
            )
        except HTTPError as exc:
            raise (NeverSent() if _never_sent(exc) else SentUnanswered()) from exc
        return bytes(response.data)

    def _verify_reply(self, request_header: dict[str, Any], data: bytes) -> Reply:
        try:
            document = decoding.loads(data)  # a reply is read as strictly
            head, body = document["header"], document["body"]
            key = self.ring.key_for(head["key_id"])
        except (ValueError, KeyError, TypeError, codes.EnvelopeError):
            return Reply(codes.TIMED_OUT, "reply was not a valid envelope; outcome unknown")
        try:
            signed = sign_matches(head, body, key)  # a float has no canonical bytes: unsigned
        except ValueError:
            signed = False
        if not signed or head.get("ref_msg_id") != request_header["msg_id"]:
            return Reply(codes.TIMED_OUT, "reply failed verification; outcome unknown")
        return Reply(head["result_code"], head["result_msg"], body or {}, head)


class KeptAliveClient(EnvelopeClient):
    """An EnvelopeClient over one kept-alive ``http.client`` connection per thread, for a
    hot path that POSTs to one peer (the gateway's relay): urllib3's pool and response
    objects cost a quarter of the gateway's CPU per message.

    The same outcomes as urllib3's: a connect refused or timed out is never sent, anything
    after the request started to go is outcome unknown; no retry, no proxy. A kept
    connection the peer closed while idle is found before sending (as urllib3 does) and
    replaced, so an idle timeout of the peer is never taken for a lost answer."""

    def __init__(self, url: str, ring: KeyRing, **kwargs: Any) -> None:
        super().__init__(url, ring, **kwargs)
        self._connect_timeout, self._read_timeout = kwargs.get("timeout", (2.0, 15.0))
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._https else 80)
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's connection, connected; NeverSent when the peer cannot be reached."""
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and (conn.sock is None or wait_for_read(conn.sock, timeout=0.0)):
            conn.close()  # closed by the peer while idle (readable means EOF or garbage)
            conn = None
        if conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = kind(self._host, self._port, timeout=self._connect_timeout)
            try:
                conn.connect()
            except OSError as exc:  # refused, unreachable, connect timeout: nothing went
                conn.close()
                raise NeverSent() from exc
            conn.sock.settimeout(self._read_timeout)
            self._local.conn = conn
        return conn

    def _exchange(self, data: bytes) -> bytes:
        conn = self._connection()
        try:
            conn.request("POST", self._path, body=data, headers=_HEADERS)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self._local.conn = None
            raise SentUnanswered() from exc
        if response.will_close:
            conn.close()
            self._local.conn = None
        return answer
