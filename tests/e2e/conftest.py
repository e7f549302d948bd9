"""The whole system as real gunicorn processes on free ports, once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.ports import free_port
from devstack.stack import DEV_PORTS, ROOT, Stack, read_env_file


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Redis, both simulators and the four services, started as `make run` starts them."""
    ports = {name: free_port() for name in DEV_PORTS}
    var_dir: Path = tmp_path_factory.mktemp("stack")
    running = Stack(
        ports=ports, var_dir=var_dir, base_env=read_env_file(ROOT / "deploy" / "dev.env")
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for log in sorted((var_dir / "logs").glob("*.log")):
            print(f"--- {log.name} (last lines)")
            print("\n".join(log.read_text(errors="replace").splitlines()[-15:]))
