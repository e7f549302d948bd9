"""Pieces every Flask app shares: the health check and JSON error pages with no stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("servicekit.web")


def install_common(
    app: Flask, service: str, health_check: Callable[[], bool] | None = None
) -> None:
    """Add ``GET /healthz`` and turn every unhandled error into a JSON answer with a code."""

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        healthy = health_check() if health_check else True
        return jsonify(service=service, status="ok" if healthy else "degraded"), (
            200 if healthy else 503
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = "1002" if (exc.code or 500) < 500 else "9999"
        return jsonify(result_code=code, result_msg=exc.description or exc.name), exc.code

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error")
        return jsonify(result_code="9999", result_msg="internal error"), 500
