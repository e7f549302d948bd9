"""What the handlers of one app share: its settings and its database sessions.

Only the thin handlers read it (from the Flask app); service functions take what they
need as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from integration_platform.settings import Settings

EXTENSION = "integration_platform"


@dataclass(frozen=True)
class HipContext:
    """The settings and session factory of one running integration_platform."""

    settings: Settings
    sessions: sessionmaker[Session]


def install(app: Flask, context: HipContext) -> None:
    """Attach the context to the app built by the factory."""
    app.extensions[EXTENSION] = context


def current() -> HipContext:
    """The context of the app serving the current request."""
    context: HipContext = current_app.extensions[EXTENSION]
    return context
