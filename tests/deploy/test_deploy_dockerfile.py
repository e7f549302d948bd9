"""deploy/Dockerfile: one slim image, pinned dependencies, non-root, no keys baked in."""

from __future__ import annotations

import re

from tests.deploy.compose_file import ROOT, load_compose

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    rows = [line.strip() for line in text.splitlines()]
    pairs = [line.split(None, 1) for line in rows if line and not line.startswith("#")]
    return [(pair[0].upper(), pair[1] if len(pair) > 1 else "") for pair in pairs]


def test_image_is_python_311_slim() -> None:
    assert instructions()[0] == ("FROM", "python:3.11-slim")


def test_services_run_as_a_non_root_user() -> None:
    users = [args for name, args in instructions() if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    first_user = next(i for i, (name, _) in enumerate(instructions()) if name == "USER")
    assert all(name != "RUN" for name, _ in instructions()[first_user:])


def test_dependencies_come_pinned_from_pyproject() -> None:
    runs = " ".join(args for name, args in instructions() if name == "RUN")
    assert "pyproject.toml" in runs and "pip install -r" in runs
    assert "pip install --no-deps -e ." in runs


def test_only_code_is_copied_never_keys_settings_or_local_state() -> None:
    sources = [args.split()[0] for name, args in instructions() if name in ("COPY", "ADD")]
    assert "." not in sources and "./" not in sources
    for source in sources:
        assert not source.startswith(("var", "deploy/env", "tests")), source
        assert "dev.env" not in source and ".pem" not in source, source
    needed = {"envelope", "servicekit", "devstack", "simulators", "deploy/gunicorn"}
    needed |= {"cloud_service", "hospital_gateway", "integration_platform", "insurance_frontend"}
    assert needed <= set(sources)


def test_compose_mounts_the_channel_keys_instead() -> None:
    services = load_compose()["services"]
    mounts = " ".join(" ".join(services["cloud-service"].get("volumes") or []).split())
    assert "/app/var/keys:ro" in mounts
