"""Alembic environment of hospital_gateway (run by `python -m hospital_gateway migrate`)."""

from hospital_gateway.audit import metadata
from servicekit.db import run_alembic_env

run_alembic_env(metadata)
