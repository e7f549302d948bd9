"""What a view needs from the request: the service-layer dependencies and the trace id."""

from __future__ import annotations

from flask import current_app, g, request

from cloud_service.deps import Deps
from cloud_service.errors import CloudError
from envelope import codes, decoding
from envelope.header import new_trace_id
from servicekit.logs import bind_trace_id

API_PREFIX = "/api/v1/"
# The channels' callbacks read their own bodies (signed bytes, forms) in their own formats.
PARTNER_PREFIX = "/api/v1/notify/"
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


def deps() -> Deps:
    """The Deps the app factory built."""
    built: Deps = current_app.extensions["cloud_deps"]
    return built


def trace_id() -> str:
    """One trace id per API request, carried into every envelope and log line."""
    if "trace_id" not in g:
        g.trace_id = new_trace_id()
        bind_trace_id(g.trace_id)
    return str(g.trace_id)


def refuse_unreadable_body() -> None:
    """Before any patient API view: a body that is not strict JSON is refused with 1001
    saying why (too deep, not UTF-8, a lone surrogate, NaN, a duplicate key...)."""
    path = request.path
    if request.method in _NO_BODY or not path.startswith(API_PREFIX):
        return
    if path.startswith(PARTNER_PREFIX):
        return
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413, answered as 1001
    if not raw:
        return
    if not request.is_json:
        raise CloudError(codes.NOT_JSON, "请求体的内容类型不受支持")
    try:
        decoding.loads(raw)
    except decoding.JsonRefused as exc:
        raise CloudError(codes.NOT_JSON, str(exc)) from exc
