"""Alembic environment for cloud_service: the URL comes from the Config main option."""

from alembic import context

from cloud_service.models import Base
from servicekit.db import make_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on a connection to the configured URL."""
    url = context.config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=url.startswith("sqlite"),
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations_online()
