"""deploy/docker-compose.yml: zones as networks, healthchecks, migrations before services.

Each check runs on the file as PyYAML reads it and, where Debian's docker-compose is
installed, on what `docker-compose config` makes of it (which also validates the schema).
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.compose_file import (
    COMPOSE_PATH,
    DEV_ENV_PATH,
    ROOT,
    ZONES,
    container_port,
    image_of,
    is_job,
    load_compose,
    python_package,
    read_env_file,
    service_networks,
)

GATEWAY = "hospital-gateway"
CENTER = "insurance-center-sim"
MIGRATED = ("cloud_service", "hospital_gateway", "integration_platform", "insurance_frontend")


def docker_compose_config() -> dict[str, Any]:
    """`docker-compose config` with the development env file, parsed; skip without it."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed: apt-get install docker-compose")
    done = subprocess.run(
        [binary, "--env-file", str(DEV_ENV_PATH), "-f", str(COMPOSE_PATH), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "variable is not set" not in done.stderr, done.stderr
    return dict(yaml.safe_load(done.stdout))


@pytest.fixture(params=["pyyaml", "docker-compose"], scope="module")
def compose(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The compose file as PyYAML reads it, then as docker-compose normalizes it."""
    if request.param == "docker-compose":
        return docker_compose_config()
    return load_compose(read_env_file(DEV_ENV_PATH))


def members(compose: dict[str, Any], network: str) -> set[str]:
    """The services attached to one network."""
    services = compose["services"]
    return {name for name, s in services.items() if network in service_networks(s)}


def long_running(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every service that is not a one-shot job."""
    return {n: s for n, s in compose["services"].items() if not is_job(s)}


def test_there_are_four_zone_networks_and_only_the_internet_one_leaves_the_host(
    compose: dict[str, Any],
) -> None:
    networks = compose["networks"]
    assert set(networks) == set(ZONES)
    assert not (networks["internet"] or {}).get("internal")
    assert all(networks[zone]["internal"] is True for zone in ZONES[1:])
    for name, service in compose["services"].items():
        assert service_networks(service) <= set(ZONES), name


def test_only_the_gateway_is_on_both_sides_of_the_dmz(compose: dict[str, Any]) -> None:
    assert members(compose, "internet") & members(compose, "intranet") == {GATEWAY}
    assert service_networks(compose["services"][GATEWAY]) == {"internet", "dmz", "intranet"}
    for name in members(compose, "dmz") - {GATEWAY}:
        assert service_networks(compose["services"][name]) == {"dmz"}, name


def test_only_insurance_frontend_reaches_the_insurance_line(compose: dict[str, Any]) -> None:
    services = compose["services"]
    line = members(compose, "insurance_line")
    assert {"insurance-frontend", "insurance-scheduler", CENTER} <= line
    for name in line - {CENTER}:
        assert python_package(services[name]) == "insurance_frontend", name
    assert service_networks(services[CENTER]) == {"insurance_line"}


def test_cloud_and_payment_channels_live_in_the_internet_zone_only(
    compose: dict[str, Any],
) -> None:
    for name in ("cloud-service", "cloud-worker", "wechatpay-sim", "alipay-sim", "sms-sim"):
        assert service_networks(compose["services"][name]) == {"internet"}, name
    for name in ("integration-platform", "insurance-frontend"):
        assert "internet" not in service_networks(compose["services"][name])


def test_every_long_running_service_has_an_exec_form_healthcheck(
    compose: dict[str, Any],
) -> None:
    for name, service in long_running(compose).items():
        check = service.get("healthcheck") or {}
        assert not check.get("disable") and check.get("test", [""])[0] == "CMD", name
        port = container_port(service)
        if python_package(service) and port and service["command"][0] == "gunicorn":
            assert f"127.0.0.1:{port}/healthz" in " ".join(check["test"]), name


def _needs(compose: dict[str, Any], name: str) -> set[str]:
    """Every job a service waits to complete, directly or through other jobs."""
    found: set[str] = set()
    for dependency, rule in (compose["services"][name].get("depends_on") or {}).items():
        if rule["condition"] == "service_completed_successfully":
            found |= {dependency} | _needs(compose, dependency)
    return found


def test_migrations_run_as_one_shot_jobs_before_each_service_starts(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, service in long_running(compose).items():
        package = python_package(service)
        if package not in MIGRATED:
            continue
        commands = [services[job]["command"] for job in _needs(compose, name)]
        assert ["python", "-m", package, "migrate"] in commands, name


def test_each_service_runs_the_one_image_with_its_own_command(compose: dict[str, Any]) -> None:
    ours = {n: s for n, s in compose["services"].items() if image_of(s) == "hospital-pay"}
    assert {s["build"]["dockerfile"] for s in ours.values() if "build" in s} == {
        "deploy/Dockerfile"
    }
    commands = {name: service["command"] for name, service in ours.items()}
    assert commands["cloud-worker"] == ["python", "-m", "cloud_service", "worker"]
    assert commands["insurance-scheduler"] == ["python", "-m", "insurance_frontend", "scheduler"]
    for name, command in commands.items():
        if command[0] == "gunicorn":
            assert command[1] == "-c" and (ROOT / command[2]).is_file(), name
            assert command[3] == f"{python_package(ours[name])}:create_app()", name
    others = {image_of(s) for s in compose["services"].values()} - {"hospital-pay"}
    assert others == {"postgres", "redis"}


def test_each_zone_has_its_own_redis_and_database(compose: dict[str, Any]) -> None:
    services = compose["services"]
    stores = {n: s for n, s in services.items() if image_of(s) in ("redis", "postgres")}
    for name, service in stores.items():
        assert len(service_networks(service)) == 1, name
    zones_with_stores = {next(iter(service_networks(s))) for s in stores.values()}
    assert zones_with_stores == {"internet", "dmz", "intranet"}


def test_secrets_in_the_compose_file_are_only_references_to_the_env_file() -> None:
    raw = load_compose()
    secret_words = ("KEY", "TOKEN", "SECRET", "PASSWORD")
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if "_KEY_ID" in key or key.endswith("_PATH"):
                continue
            if any(word in key for word in secret_words):
                assert value == f"${{{key}}}", (name, key)
