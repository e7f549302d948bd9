"""Alembic environment of insurance_frontend (run by `python -m insurance_frontend migrate`)."""

from insurance_frontend.models import Base
from servicekit.db import run_alembic_env

run_alembic_env(Base.metadata)
