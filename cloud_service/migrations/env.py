"""Alembic environment of cloud_service (run by `python -m cloud_service migrate`)."""

from cloud_service.models import Base
from servicekit.db import run_alembic_env

run_alembic_env(Base.metadata)
