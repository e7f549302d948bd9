"""Alembic environment of insurance_frontend: online migrations against the configured URL."""

from __future__ import annotations

from alembic import context

from insurance_frontend.models import Base
from servicekit.db import make_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Apply the migrations in one connection."""
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
