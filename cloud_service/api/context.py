"""What a view needs from the request: the service-layer dependencies and the trace id."""

from __future__ import annotations

from flask import current_app, g

from cloud_service.deps import Deps
from envelope.header import new_trace_id
from servicekit.logs import bind_trace_id


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
