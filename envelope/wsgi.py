"""An envelope endpoint answered straight from WSGI, every other request passed on to the
app (Flask: health, metrics, the rest). An envelope endpoint is a service's hot path, and
Flask's request, routing and response objects cost a tenth of its CPU; what they gave it
is done here: the size limit (a signed 1001), the HTTP metrics, a JSON 9999 for an error."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from envelope import codes
from envelope.canonical import canonical_bytes
from envelope.tracing import bind_trace_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("envelope.wsgi")

# (raw bytes, or None when they were over the limit) -> signed answer and its result code
Answer = Callable[[bytes | None, int], tuple[dict[str, Any], str]]
JSON = "application/json; charset=utf-8"


def too_large(limit: int) -> str:
    """The result_msg of a 1001 for a body over the limit."""
    return f"请求体过大：最多 {limit} 字节"


class EnvelopeWSGI:
    """``POST <path>`` answered by ``answer``; anything else goes on to ``app``."""

    def __init__(
        self,
        path: str,
        answer: Answer,
        max_bytes: Callable[[], int],
        service: str,
        app: WSGIApplication,
    ) -> None:
        from servicekit.metrics import HTTP_LATENCY  # servicekit builds on envelope
        from servicekit.web import INTERNAL_MESSAGE

        self.path = path
        self.answer = answer
        self.max_bytes = max_bytes
        self.app = app
        self._service = service
        self._requests: dict[int, Any] = {}  # the counter's child of each status, once made
        self._latency = HTTP_LATENCY.labels(service, "POST", path)
        # The last answer, when even a signed refusal could not be made: no envelope, no detail.
        self._internal = canonical_bytes(
            {"result_code": codes.INTERNAL, "result_msg": INTERNAL_MESSAGE}
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != self.path or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        started = time.perf_counter()
        bind_trace_id("")  # nothing of the previous request on this thread's log lines
        try:
            limit = self.max_bytes()
            reply, result_code = self.answer(self._body(environ, limit), limit)
            status, payload = codes.http_status(result_code), canonical_bytes(reply)
        except Exception:
            log.exception("unhandled error")
            status, payload = 500, self._internal
        self._count(status)
        self._latency.observe(time.perf_counter() - started)
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", JSON), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def _count(self, status: int) -> None:
        counter = self._requests.get(status)
        if counter is None:
            from servicekit.metrics import HTTP_REQUESTS

            counter = self._requests[status] = HTTP_REQUESTS.labels(
                self._service, "POST", self.path, str(status)
            )
        counter.inc()

    @staticmethod
    def _body(environ: WSGIEnvironment, limit: int) -> bytes | None:
        """The request body; None when it is over the limit (it is then not read in full).
        werkzeug's reader, as Flask's: a chunked body is read only when the server ends it."""
        try:
            return get_input_stream(environ, max_content_length=limit).read()
        except RequestEntityTooLarge:
            return None
