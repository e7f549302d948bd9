"""Alembic environment of integration_platform (run by `python -m integration_platform migrate`)."""

from integration_platform.models import Base
from servicekit.db import run_alembic_env

run_alembic_env(Base.metadata)
