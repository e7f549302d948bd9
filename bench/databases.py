"""PostgreSQL databases for the bench stack, as the zone deployment runs them
(deploy/docker-compose.yml): SQLite serialises every writer on one file lock, which would
make the gateway's hash-chained audit, not the code under test, the number measured."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

# the services whose database the deployment puts on PostgreSQL
SERVICES = ("hospital_gateway", "integration_platform", "insurance_frontend", "cloud_service")
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def postgres_databases() -> Iterator[dict[str, str]]:
    """``<SERVICE>_DATABASE_URL`` settings of fresh databases, dropped afterwards; empty (the
    stack's SQLite files) when no PostgreSQL answers."""
    import psycopg

    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield {}
        return
    tag = secrets.token_hex(3)
    names = {service: f"bench_{service}_{tag}" for service in SERVICES}
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        for name in names.values():
            admin.execute(f'CREATE DATABASE "{name}"')
        yield {f"{s.upper()}_DATABASE_URL": f"{base}/{n}" for s, n in names.items()}
    finally:
        for name in names.values():
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
