"""The cloud app as gunicorn serves it for the browser tests: create_app() plus the web pages
(a no-op once the factory registers them itself)."""

from __future__ import annotations

from flask import Flask

import cloud_service
from cloud_service import web


def create_app() -> Flask:
    """The cloud with its H5 pages and operations console."""
    app = cloud_service.create_app()
    web.register(app)
    return app
