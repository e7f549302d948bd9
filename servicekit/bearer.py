"""One guard for the endpoints that staff tools call with a shared bearer token.

The rule, the same for every guarded thing (operations API, /metrics, gateway audit):

- an empty token setting turns the guarded thing off: it answers 404, as an unknown address
  does (result code 1010, through the app's own 404 handler), so nobody learns it exists;
- otherwise a call must send ``Authorization: Bearer <token>`` (scheme in any case); a missing
  or wrong token answers 401 with result code 1003, a Chinese message naming the token, and a
  ``WWW-Authenticate`` header. The comparison runs in constant time.

The patient API's own sign-in (opaque per-patient tokens) is a different thing and lives in
cloud_service.api.auth."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

from flask import Response, abort, request

from envelope.codes import BAD_SIGNATURE

Guard = Callable[[], Response | None]


def given_bearer(query_param: str | None = None) -> str:
    """The token the request sends as ``Authorization: Bearer ...`` (or in ``query_param``)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given.strip():
        return given.strip()
    return request.args.get(query_param, "") if query_param else ""


def bearer_refusal(token_name: str, realm: str) -> Response:
    """The 401 answer for a missing or wrong token, naming it in Chinese."""
    body = {"result_code": BAD_SIGNATURE, "result_msg": f"{token_name}缺失或无效"}
    refused = Response(
        json.dumps(body, ensure_ascii=False), status=401, content_type="application/json"
    )
    refused.headers["WWW-Authenticate"] = f'Bearer realm="{realm}"'
    return refused


def require_bearer(
    expected: str, token_name: str, realm: str, *, query_param: str | None = None
) -> Guard:
    """A ``before_request`` hook: 404 when ``expected`` is empty, 401 unless it is sent."""

    def guard() -> Response | None:
        if not expected:
            abort(404)
        given = given_bearer(query_param)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return bearer_refusal(token_name, realm)
        return None

    return guard


__all__ = ["Guard", "bearer_refusal", "given_bearer", "require_bearer"]
