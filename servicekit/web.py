"""Pieces every Flask app shares: the health check and JSON error pages with no stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from envelope import codes, decoding

log = logging.getLogger("servicekit.web")

# werkzeug's own descriptions are English; what a patient or staff member reads is Chinese.
_MESSAGES = {
    400: "请求无效",
    401: "请先登录",
    403: "没有权限访问该地址",
    404: "请求的地址不存在",
    405: "该地址不支持这种请求方法",
    406: "无法提供所要求的内容格式",
    408: "请求超时",
    411: "请求缺少内容长度",
    413: "请求体过大",
    414: "请求的地址过长",
    415: "不支持的请求内容类型",
    429: "请求过于频繁，请稍后再试",
    431: "请求头过大",
}
INTERNAL_MESSAGE = "系统内部错误，请稍后再试"


def http_refusal(exc: HTTPException) -> tuple[str, str]:
    """The result code and Chinese message of an HTTP error werkzeug or a view raised."""
    status = exc.code or 500
    if status >= 500:
        return codes.INTERNAL, INTERNAL_MESSAGE
    if exc.description and exc.description != type(exc).description:
        message = exc.description  # a view's own words, e.g. abort(400, "...")
    else:
        message = _MESSAGES.get(status, _MESSAGES[400])
    if status == 404:
        return codes.NOT_FOUND, message
    if status == 413 and request.max_content_length:
        return codes.NOT_JSON, f"{message}：最多 {request.max_content_length} 字节"
    return codes.BAD_FIELD, message


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
        code, message = http_refusal(exc)
        return jsonify(result_code=code, result_msg=message), exc.code

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error")
        return jsonify(result_code=codes.INTERNAL, result_msg=INTERNAL_MESSAGE), 500


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies as strictly as envelopes are read: too deep,
    a lone surrogate, NaN or a 64-bit overflow is bad JSON (a ValueError), never a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse strictly (envelope.decoding); ``get_json`` turns a refusal into bad JSON."""
        return decoding.loads(s)
