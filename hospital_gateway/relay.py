"""``POST /gateway``: verify, route, validate, re-sign for the next link, relay, re-sign the
answer for the link the message came in on, audit. No business logic, no business data.

Nothing is relayed until every check has passed. The request header goes on exactly as the
sender wrote it (sender, msg_id, nonce, trace_id...); only key_id and sign are replaced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from envelope import catalogue, codes
from envelope.catalogue import GATEWAY
from envelope.client import EnvelopeClient, Reply
from envelope.header import check_request_header
from envelope.keys import KeyRing
from envelope.messages import validate_request
from envelope.replay import RedisNonceStore
from envelope.server import signed_reply
from envelope.signing import sign_envelope, sign_matches
from envelope.verify import Verifier, parse
from envelope.wsgi import too_large
from hospital_gateway import routes
from hospital_gateway.audit import AuditEntry, AuditLog, clean
from hospital_gateway.contract import checked
from hospital_gateway.ratelimit import RateLimiter
from servicekit.logs import bind_trace_id

log = logging.getLogger("hospital_gateway.relay")
PATH = "/gateway"

RECEIVED = "IN"  # audit direction: a message as it reached the gateway, with the answer given
RELAYED = "OUT"  # audit direction: the same message as sent on the next link, with its answer

Envelope = dict[str, Any]


def _ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)


class Relay:
    """The gateway's one service: admit a message, pass it on, answer for the next link."""

    def __init__(
        self,
        *,
        verifier: Verifier,
        rings: Mapping[str, KeyRing],
        clients: Mapping[str, EnvelopeClient],
        audit: AuditLog,
        hospital_code: str,
        limiter: RateLimiter | None = None,
        nonces: RedisNonceStore | None = None,
        on_result: Callable[[dict[str, Any], str, float], None] | None = None,
    ) -> None:
        self.verifier = verifier
        self.limiter = limiter
        self.nonces = nonces  # the verifier's store: the limiter's script remembers the nonce
        self.on_result = on_result  # (answer header, result code, seconds), as EnvelopeEndpoint
        self.rings = dict(rings)
        self.clients = dict(clients)
        self.audit = audit
        self.hospital_code = hospital_code

    def handle(self, raw: bytes) -> tuple[Envelope, str]:
        """Process the raw bytes of one request; return the signed answer and its code."""
        started = time.perf_counter()
        head: dict[str, Any] = {}
        body: Any = None
        authentic = False  # signed with a key of its link, in time; its nonce not yet checked
        try:
            head, body = parse(raw)
            bind_trace_id(clean(head.get("trace_id"), 64, verified=False))
            in_ring = self.authenticate(head, body)
            authentic = True
            bind_trace_id(head["trace_id"])
            route = self.admit_fresh(head, body)
        except codes.EnvelopeError as exc:
            verified = authentic and exc.result_code != codes.REPLAYED_NONCE
            return self._refuse(head, body, exc.result_code, exc.result_msg, started, verified)
        except Exception:
            log.exception("admission failed")
            return self._refuse(
                head, body, codes.INTERNAL, codes.message(codes.INTERNAL), started, authentic
            )
        reply, sent = self._forward(head, body, route, in_ring)
        result_code = str(reply["header"]["result_code"])
        received = self._record(head, reply, result_code, started, sent, verified=True)
        log.info(
            "relayed %s %s %s -> %s: %s",
            received.trade_code,
            received.msg_id,
            received.sender,
            route.target,
            result_code,
        )
        return reply, result_code

    def authenticate(self, head: dict[str, Any], body: Any) -> KeyRing:
        """Header (1002), signature (1003), timestamp (1004): the inbound ring. The nonce
        (1005) is checked by ``admit_fresh``, in the same Redis call as the rate limits."""
        check_request_header(head)
        if head["hospital_code"] != self.hospital_code:
            raise codes.EnvelopeError(codes.BAD_FIELD, "header field hospital_code is not ours")
        return self.verifier.authenticate(head, body)

    def admit_fresh(self, head: dict[str, Any], body: Any) -> routes.Route:
        """Of an authenticated message: nonce (1005) first, then trade code (1006), route
        (1007), body (1009) and rate limits (1008). An admitted message remembers its
        nonce and counts against its limits in one Redis round trip; a refused one still
        spends its nonce, and a replay is 1005 whatever else is wrong with it."""
        try:
            route = self.admit(head, body)
        except codes.EnvelopeError:
            self.verifier.remember_nonce(head)
            raise
        if self.limiter is not None and self.nonces is not None:
            self.limiter.check(head, body, self.nonces)
            return route
        self.verifier.remember_nonce(head)
        if self.limiter is not None:
            self.limiter.check(head, body)
        return route

    def admit(self, head: dict[str, Any], body: Any) -> routes.Route:
        """Trade code (1006), route (1007), body (1009) of an authenticated message."""
        entry = catalogue.lookup(head["trade_code"])
        route = routes.route_for(entry, head["sender"])
        if head["receiver"] not in (route.target, GATEWAY):
            raise codes.EnvelopeError(
                codes.ROUTE_NOT_ALLOWED, f"{entry.code} is answered by {route.target}"
            )
        validate_request(entry.code, body)
        return route

    def answer(self, raw: bytes | None, limit: int) -> tuple[Envelope, str]:
        """The signed answer to raw request bytes, or a signed 1001 when they were too many."""
        if raw is None:
            return self.refuse_raw(codes.NOT_JSON, too_large(limit))
        return self.handle(raw)

    def refuse_raw(self, result_code: str, result_msg: str) -> tuple[Envelope, str]:
        """A signed refusal of a request whose bytes could not even be read."""
        return self._refuse({}, None, result_code, result_msg, time.perf_counter(), False)

    def _refuse(
        self,
        head: dict[str, Any],
        body: Any,
        result_code: str,
        result_msg: str,
        started: float,
        verified: bool,
    ) -> tuple[Envelope, str]:
        reply = signed_reply(
            self._answer_ring(head, body),
            party=GATEWAY,
            trade_code=str(head.get("trade_code", ""))[:8],
            ref_msg_id=str(head.get("msg_id", ""))[:64],
            trace_id=str(head.get("trace_id", ""))[:64],
            result_code=result_code,
            result_msg=result_msg,
        )
        received = self._record(head, reply, result_code, started, None, verified=verified)
        log.info(
            "refused %s %s from %s: %s %s",
            received.trade_code,
            received.msg_id,
            received.sender,
            result_code,
            result_msg,
        )
        return reply, result_code

    def _answer_ring(self, head: dict[str, Any], body: Any) -> KeyRing:
        """The ring of the link a refused message provably came in on, else the cloud's.

        A message whose signature does not verify gets its refusal signed with the key of
        the Internet-facing link, so no intranet key signs text chosen by an unknown sender.
        """
        try:
            ring = self.verifier.link_for(head)
            if sign_matches(head, body, ring.key_for(str(head["key_id"]))):
                return ring
        except (codes.EnvelopeError, ValueError, TypeError, KeyError):
            pass
        return self.verifier.default_ring

    def _forward(
        self, head: dict[str, Any], body: Any, route: routes.Route, in_ring: KeyRing
    ) -> tuple[Envelope, AuditEntry]:
        """Re-sign for the next link, POST, and re-sign its answer for the inbound link."""
        out_ring = self.rings[route.target]
        outgoing = {
            "header": sign_envelope(head, body, out_ring.active_key_id, out_ring.active_key),
            "body": body,
        }
        started = time.perf_counter()
        try:
            reply = self.clients[route.target].post(outgoing)
        except Exception:
            # The message may have arrived: the outcome is unknown, never a plain failure.
            log.exception("relay to %s failed after sending", route.target)
            reply = Reply(codes.TIMED_OUT, codes.message(codes.TIMED_OUT))
        passed_on = checked(route.trade_code, route.target, reply)
        sent = AuditEntry.of(
            RELAYED,
            head,
            receiver=route.target,
            reply_msg_id=reply.header.get("msg_id"),
            result_code=reply.result_code,
            latency_ms=_ms(started),
            verified=True,
        )
        return self._answer(head, passed_on, in_ring), sent

    def _answer(self, head: dict[str, Any], reply: Reply, in_ring: KeyRing) -> Envelope:
        if reply.header:
            # The answer keeps every field its author wrote; only key_id and sign change.
            header = sign_envelope(
                reply.header, reply.body, in_ring.active_key_id, in_ring.active_key
            )
            return {"header": header, "body": reply.body}
        return signed_reply(
            in_ring,
            party=GATEWAY,
            trade_code=head["trade_code"],
            ref_msg_id=head["msg_id"],
            trace_id=head["trace_id"],
            result_code=reply.result_code,
            result_msg=reply.result_msg,
        )

    def _record(
        self,
        head: dict[str, Any],
        reply: Envelope,
        result_code: str,
        started: float,
        sent: AuditEntry | None,
        *,
        verified: bool,
    ) -> AuditEntry:
        received = AuditEntry.of(
            RECEIVED,
            head,
            receiver=head.get("receiver"),
            reply_msg_id=reply["header"].get("msg_id"),
            result_code=result_code,
            latency_ms=_ms(started),
            verified=verified,
        )
        try:
            self.audit.write([received] if sent is None else [received, sent])
        except Exception:
            # The answer must still go back: the downstream may already have acted.
            log.exception("audit write failed")
        if self.on_result is not None:  # every answer passes here: relayed or refused
            self.on_result(reply["header"], result_code, time.perf_counter() - started)
        return received
