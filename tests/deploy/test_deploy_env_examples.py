"""deploy/env/*.env.example and the compose environments name exactly what each service
reads (its settings.py), and no development secret leaves deploy/dev.env."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.compose_file import (
    DEV_ENV_PATH,
    ROOT,
    is_job,
    load_compose,
    python_package,
    read_env_file,
)
from tests.deploy.settings_names import GUNICORN_NAMES, settings_names

ENV_DIR = ROOT / "deploy" / "env"
SERVICES = ("cloud_service", "hospital_gateway", "integration_platform", "insurance_frontend")
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def is_secret(name: str) -> bool:
    """A setting whose value is a secret (key ids and key file paths are not)."""
    if "_KEY_ID" in name or name.endswith("_PATH"):
        return False
    return any(word in name for word in SECRET_WORDS)


def test_there_is_one_example_per_service() -> None:
    assert sorted(p.name for p in ENV_DIR.glob("*.env.example")) == sorted(
        f"{s}.env.example" for s in SERVICES
    )


@pytest.mark.parametrize("service", SERVICES)
def test_example_lists_exactly_the_settings_the_service_reads(service: str) -> None:
    listed = set(read_env_file(ENV_DIR / f"{service}.env.example"))
    expected = settings_names(service).read | GUNICORN_NAMES
    assert listed - expected == set(), "listed but never read"
    assert expected - listed == set(), "read but not listed"


@pytest.mark.parametrize("service", SERVICES)
def test_example_holds_no_secret_value(service: str) -> None:
    values = read_env_file(ENV_DIR / f"{service}.env.example")
    assert {name: v for name, v in values.items() if is_secret(name) and v} == {}


def test_no_development_secret_is_written_outside_dev_env() -> None:
    secrets = [v for k, v in read_env_file(DEV_ENV_PATH).items() if is_secret(k) and len(v) > 6]
    assert secrets, "deploy/dev.env has no secrets to look for"
    files = [*ENV_DIR.glob("*"), ROOT / "deploy" / "docker-compose.yml"]
    files += [ROOT / "deploy" / "Dockerfile", *(ROOT / "deploy" / "gunicorn").glob("*.py")]
    files.append(ROOT / "docs" / "deployment.md")
    for path in files:
        text = Path(path).read_text(encoding="utf-8")
        assert not [s for s in secrets if s in text], path.name


def test_compose_gives_each_service_only_settings_it_reads_and_all_it_requires() -> None:
    services = load_compose()["services"]
    checked = set()
    for name, service in services.items():
        package = python_package(service)
        if package is None:
            continue
        names = settings_names(package)
        given = set(service.get("environment") or {})
        assert given - names.read == set(), f"{name} is given settings it never reads"
        if not is_job(service):
            assert names.required - given == set(), f"{name} misses required settings"
        checked.add(package)
    assert checked >= {*SERVICES, "simulators.wechatpay", "simulators.insurance_center"}


def test_each_link_key_reaches_only_the_two_ends_of_its_link() -> None:
    ends = {
        "CLOUD": {"cloud_service", "hospital_gateway"},
        "HIP": {"hospital_gateway", "integration_platform"},
        "INSFE": {"hospital_gateway", "insurance_frontend"},
        "INSFE_HIP": {"insurance_frontend", "integration_platform"},
    }
    holders: dict[str, set[str]] = {link: set() for link in ends}
    for service in load_compose()["services"].values():
        for key in service.get("environment") or {}:
            link = key.removeprefix("ENVELOPE_KEY_")
            if key.startswith("ENVELOPE_KEY_") and not key.startswith("ENVELOPE_KEY_ID_"):
                holders[link].add(str(python_package(service)))
    assert holders == ends
