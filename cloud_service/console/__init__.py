"""The operations console's service layer: staff and roles, order search and timelines,
insurance sign-in evidence, window refunds. Its pages live in cloud_service.web."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

from cloud_service.console.staff import ROLES, StaffUser, authenticate, parse_users

__all__ = ["ROLES", "StaffUser", "authenticate", "parse_users", "setting"]


def setting(
    app: Flask, name: str, default: str = "", environ: Mapping[str, str] | None = None
) -> str:
    """A console setting: the cloud Settings attribute (lower-case name) when it has one,
    else the environment variable (CONSOLE_USERS, GATEWAY_AUDIT_TOKEN)."""
    settings = app.extensions.get("cloud_settings")
    value = getattr(settings, name.lower(), None)
    if isinstance(value, str):
        return value
    env = os.environ if environ is None else environ
    return env.get(name, default)
