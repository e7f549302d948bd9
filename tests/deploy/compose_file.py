"""deploy/docker-compose.yml as data: loaded with PyYAML, ${VARS} filled from an env file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
COMPOSE_PATH = ROOT / "deploy" / "docker-compose.yml"
DEV_ENV_PATH = ROOT / "deploy" / "dev.env"
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
ZONES = ("internet", "dmz", "intranet", "insurance_line")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; comments and blank lines skipped."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        return VARIABLE.sub(lambda match: values[match.group(1)], node)
    if isinstance(node, list):
        return [_fill(item, values) for item in node]
    if isinstance(node, dict):
        return {key: _fill(item, values) for key, item in node.items()}
    return node


def load_compose(values: dict[str, str] | None = None) -> dict[str, Any]:
    """The compose file with anchors merged and, when ``values`` are given, ${VARS} filled
    (a variable missing from ``values`` raises KeyError)."""
    data = yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8"))
    return _fill(data, values) if values is not None else dict(data)


def service_networks(service: dict[str, Any]) -> set[str]:
    """The networks a service joins (list or mapping form)."""
    networks = service.get("networks") or []
    return set(networks) if isinstance(networks, list | dict) else set()


def is_job(service: dict[str, Any]) -> bool:
    """A one-shot command (migrations, seed, keys), not a long-running service."""
    return str(service.get("restart", "")) == "no"


def image_of(service: dict[str, Any]) -> str:
    """The image name without its tag."""
    return str(service.get("image", "")).split(":", 1)[0]


def python_package(service: dict[str, Any]) -> str | None:
    """The package a service runs: gunicorn's 'pkg:create_app()' or `python -m pkg`."""
    command = [str(part) for part in service.get("command") or []]
    if command[:1] == ["gunicorn"]:
        return command[-1].split(":", 1)[0]
    if command[:2] == ["python", "-m"]:
        return command[2]
    return None


def container_port(service: dict[str, Any]) -> int | None:
    """The port a service listens on inside its container (its `expose`)."""
    exposed = service.get("expose") or []
    return int(str(exposed[0])) if exposed else None


def start_order(services: dict[str, dict[str, Any]]) -> list[str]:
    """Service names with every service after what it depends_on (compose's start order)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise ValueError(f"depends_on cycle through {name}")
        visiting.add(name)
        for dependency in services[name].get("depends_on") or {}:
            visit(dependency)
        visiting.discard(name)
        order.append(name)

    for name in services:
        visit(name)
    return order
