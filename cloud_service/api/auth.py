"""App tokens: the user id signed with the cloud's secret (itsdangerous, shipped with Flask)."""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from cloud_service.errors import Unauthorized

_SALT = "app-user"


def issue_token(secret_key: str, user_id: str) -> str:
    """A bearer token naming the user."""
    return URLSafeSerializer(secret_key, salt=_SALT).dumps(user_id)


def current_user_id() -> str:
    """The user id of the request's bearer token, or 1003."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized()
    try:
        user_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).loads(
            header[len("Bearer ") :]
        )
    except BadSignature as exc:
        raise Unauthorized() from exc
    return str(user_id)
