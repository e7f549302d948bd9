"""The cloud's settings as the in-process tests use them: deploy/dev.env with the key files
under the test's folder, its own migrated SQLite ledger and the test Redis."""

from __future__ import annotations

from pathlib import Path

from devstack.keys import ensure_dev_keys
from devstack.stack import ROOT, read_env_file
from servicekit.db import migrate


def cloud_env(tmp_path: Path, redis_url: str, **overrides: str) -> dict[str, str]:
    """Development settings for one test's cloud app; DATABASE_URL is migrated already."""
    env = read_env_file(ROOT / "deploy" / "dev.env")
    for key in list(env):
        if key.endswith("_KEY_PATH"):
            env[key] = str(tmp_path / "keys" / Path(env[key]).name)
    ensure_dev_keys(ROOT, env)
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    migrate(url, ROOT / "cloud_service" / "migrations")
    env.update(REDIS_URL=redis_url, DATABASE_URL=url, **overrides)
    return env
