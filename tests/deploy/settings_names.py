"""Which environment settings a service reads, found in its settings.py by reading the code."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import envelope.catalogue

ROOT = Path(__file__).resolve().parent.parent.parent
ENV_NAMES = {"env", "environ"}
# What deploy/gunicorn/zone_defaults.py reads, for every service run under gunicorn.
GUNICORN_NAMES = frozenset(
    {"GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"}
)


@dataclass(frozen=True)
class SettingsNames:
    """The names a settings module reads, and those without a default."""

    read: frozenset[str]
    required: frozenset[str]


def settings_path(package: str) -> Path:
    """<package>/settings.py in the repository."""
    return ROOT.joinpath(*package.split("."), "settings.py")


def _constants(tree: ast.Module) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _text(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id) or getattr(envelope.catalogue, node.id, None)
    return None


def _is_env(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ENV_NAMES


def _read_by(call: ast.Call, constants: dict[str, str]) -> tuple[str, str] | None:
    """(function, setting name) when the call reads a setting from the environment."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "get" and _is_env(func.value):
        name = _text(call.args[0], constants) if call.args else None
        return ("get", name) if name else None
    if len(call.args) >= 2 and _is_env(call.args[0]):
        function = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        name = _text(call.args[1], constants)
        return (function, name) if name else None
    return None


def settings_names(package: str) -> SettingsNames:
    """Every environment name <package>/settings.py reads (link_ring expands to three)."""
    tree = ast.parse(settings_path(package).read_text(encoding="utf-8"))
    constants = _constants(tree)
    read: set[str] = set()
    required: set[str] = set()
    for node in ast.walk(tree):
        found = _read_by(node, constants) if isinstance(node, ast.Call) else None
        if found is None:
            continue
        function, name = found
        if function == "link_ring":
            keys = {f"ENVELOPE_KEY_ID_{name}", f"ENVELOPE_KEY_{name}"}
            read |= keys | {f"ENVELOPE_PREVIOUS_KEYS_{name}"}
            required |= keys
            continue
        read.add(name)
        if function in ("required", "_read_path"):
            required.add(name)
    return SettingsNames(frozenset(read), frozenset(required))
