"""The receiving side: one ``POST /envelope`` endpoint with a dispatch table per service."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from envelope import catalogue, codes
from envelope.header import response_header
from envelope.keys import KeyRing
from envelope.messages import Message, Request, validate_request
from envelope.signing import sign_envelope
from envelope.tracing import bind_claimed_trace_id, bind_trace_id, plain_token
from envelope.verify import Verifier, parse
from envelope.wsgi import EnvelopeWSGI, too_large

log = logging.getLogger("envelope")
R = TypeVar("R", bound=Request)
# No honest request envelope comes near this; the gateway relays at most as much by default.
MAX_ENVELOPE_BYTES = 1024 * 1024
PATH = "/envelope"


@dataclass(frozen=True)
class Incoming:
    """A verified request as a handler sees it."""

    header: dict[str, Any]
    body: dict[str, Any]
    request: Request | None = None  # the body as its trade's typed model

    def typed(self, model: type[R]) -> R:
        """The body as ``model``: the request validated at the door, or validated now."""
        if isinstance(self.request, model):
            return self.request
        return model.model_validate(self.body)

    @property
    def trace_id(self) -> str:
        """The trace id to carry into every onward message and log line."""
        return str(self.header["trace_id"])


Handler = Callable[[Incoming], "dict[str, Any] | Message"]


def signed_reply(
    ring: KeyRing,
    *,
    party: str,
    trade_code: str,
    ref_msg_id: str,
    trace_id: str,
    result_code: str,
    result_msg: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete signed response envelope."""
    out_body = body or {}
    head = response_header(
        trade_code=trade_code,
        ref_msg_id=ref_msg_id,
        result_code=result_code,
        result_msg=result_msg,
        trace_id=trace_id,
        sender=party,
    )
    return {
        "header": sign_envelope(head, out_body, ring.active_key_id, ring.active_key),
        "body": out_body,
    }


def json_response(envelope: dict[str, Any], result_code: str) -> Response:
    """The HTTP response carrying an envelope, its status mirroring the result code."""
    from envelope.canonical import canonical_bytes

    return Response(
        canonical_bytes(envelope),
        status=codes.http_status(result_code),
        content_type="application/json; charset=utf-8",
    )


class EnvelopeEndpoint:
    """Verify, check the route, validate the body, dispatch, sign the answer."""

    def __init__(
        self,
        party: str,
        verifier: Verifier,
        handlers: Mapping[str, Handler],
        on_result: Callable[[dict[str, Any], str, float], None] | None = None,
    ) -> None:
        self.party = party
        self.verifier = verifier
        self.handlers = dict(handlers)
        self.on_result = on_result

    def handle(self, raw: bytes) -> tuple[dict[str, Any], str]:
        """Process raw request bytes; return the signed reply envelope and its result code."""
        started = time.perf_counter()
        ring = self.verifier.default_ring
        head: dict[str, Any] = {}
        verified = False
        result_code, result_msg, out_body = codes.SUCCESS, codes.message(codes.SUCCESS), {}
        try:
            head, body = parse(raw)
            bind_claimed_trace_id(head.get("trace_id"))
            ring = self.verifier.verify(head, body)
            verified = True
            bind_trace_id(head["trace_id"])
            entry = catalogue.lookup(head["trade_code"])
            if entry.target != self.party:
                raise codes.EnvelopeError(
                    codes.ROUTE_NOT_ALLOWED, f"{entry.code} is not served by {self.party}"
                )
            handler = self.handlers.get(entry.code)
            if handler is None:
                raise codes.EnvelopeError(
                    codes.UNKNOWN_TRADE_CODE, f"{entry.code} is not implemented by {self.party}"
                )
            request = validate_request(entry.code, body)
            answered = handler(Incoming(head, body, request))
            out_body = (
                answered.model_dump(mode="json") if isinstance(answered, Message) else answered
            )
        except codes.EnvelopeError as exc:
            result_code, result_msg = exc.result_code, exc.result_msg
        except Exception:
            log.exception("handler failed for trade code %s", plain_token(head.get("trade_code")))
            result_code, result_msg = codes.INTERNAL, codes.message(codes.INTERNAL)
        return self._reply(ring, head, result_code, result_msg, out_body, started, verified)

    def refuse(self, result_code: str, result_msg: str) -> tuple[dict[str, Any], str]:
        """A signed refusal of a request whose bytes could not even be read."""
        ring = self.verifier.default_ring
        return self._reply(ring, {}, result_code, result_msg, {}, time.perf_counter())

    def _reply(
        self,
        ring: KeyRing,
        head: dict[str, Any],
        result_code: str,
        result_msg: str,
        out_body: dict[str, Any],
        started: float,
        verified: bool = False,
    ) -> tuple[dict[str, Any], str]:
        reply = signed_reply(
            ring,
            party=self.party,
            trade_code=str(head.get("trade_code", "")),
            ref_msg_id=str(head.get("msg_id", "")),
            trace_id=str(head.get("trace_id", "")),
            result_code=result_code,
            result_msg=result_msg,
            body=out_body,
        )
        if self.on_result is not None:
            self.on_result(head, result_code, time.perf_counter() - started)
        # A message not verified (a refusal before its signature checked) may say anything.
        shown = (
            head if verified else {k: plain_token(head.get(k)) for k in ("trade_code", "msg_id")}
        )
        log.info("envelope %s %s -> %s", shown.get("trade_code"), shown.get("msg_id"), result_code)
        return reply, result_code

    def answer(self, raw: bytes | None, limit: int) -> tuple[dict[str, Any], str]:
        """The signed answer to raw request bytes, or a signed 1001 when they were too many."""
        if raw is None:
            return self.refuse(codes.NOT_JSON, too_large(limit))
        return self.handle(raw)

    def install(self, app: Flask) -> None:
        """Serve ``POST /envelope`` on ``app`` straight from WSGI, before Flask routes it; the
        limit is the app's MAX_CONTENT_LENGTH, else MAX_ENVELOPE_BYTES. Every service
        registers its endpoint here."""

        def limit() -> int:
            return int(app.config.get("MAX_CONTENT_LENGTH") or MAX_ENVELOPE_BYTES)

        app.register_blueprint(self.blueprint())  # Flask still answers GET /envelope: 405
        app.wsgi_app = EnvelopeWSGI(  # type: ignore[method-assign]
            PATH, self.answer, limit, app.name, app.wsgi_app
        )

    def blueprint(self) -> Blueprint:
        """A blueprint with the single ``POST /envelope`` route, served through Flask."""
        bp = Blueprint("envelope", __name__)

        @bp.post(PATH)
        def receive() -> Response:
            limit = request.max_content_length or MAX_ENVELOPE_BYTES
            request.max_content_length = limit
            try:
                raw: bytes | None = request.get_data(cache=False)
            except RequestEntityTooLarge:  # over the limit: a signed 1001
                raw = None
            reply, result_code = self.answer(raw, limit)
            return json_response(reply, result_code)

        return bp
