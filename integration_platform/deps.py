"""What create_app builds for the handlers of one integration_platform: its settings, its
database engine (Core statements on the hot paths), its session factory (the rest) and the
engine its single-statement reads go through."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from integration_platform.settings import Settings


@dataclass(frozen=True)
class Deps:
    """The dependencies every handler takes as its first argument."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    reader: Engine  # single-statement reads (autocommit on PostgreSQL)
