"""deploy/gunicorn/<service>.py: what gunicorn actually reads from each file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from gunicorn.app.base import Application
from gunicorn.config import Config

from tests.deploy.compose_file import ROOT

CONFIGS = ROOT / "deploy" / "gunicorn"
SERVICES = {
    "cloud_service": ("cloud_service", 8000),
    "hospital_gateway": ("hospital_gateway", 8100),
    "integration_platform": ("integration_platform", 8200),
    "insurance_frontend": ("insurance_frontend", 8300),
    "insurance_center": ("simulators.insurance_center", 8400),
    "wechatpay": ("simulators.wechatpay", 8500),
    "alipay": ("simulators.alipay", 8600),
    "sms": ("simulators.sms", 8700),
}
# Atoms that would put personal data in the access log: client address, request line and
# query string, user agent, referrer, user name, any header or environ value.
PERSONAL_ATOMS = re.compile(r"%\((h|r|q|a|f|u|\{[^}]*\}[ieo])\)s")


class _ConfigOnly(Application):  # type: ignore[misc]
    """Just enough of a gunicorn application to read a config file."""

    def __init__(self) -> None:
        self.usage, self.callable, self.prog, self.logger = None, None, None, None
        self.cfg = Config()

    def init(self, parser: object, opts: object, args: object) -> None:
        """No command line to read."""

    def load(self) -> None:
        """Never called: nothing is served."""


def load(name: str) -> Config:
    """The settings gunicorn takes from deploy/gunicorn/<name>.py."""
    app = _ConfigOnly()
    app.load_config_from_file(str(CONFIGS / f"{name}.py"))
    return app.cfg


@pytest.fixture(autouse=True)
def _no_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


def test_there_is_one_config_per_service_and_the_shared_defaults() -> None:
    assert {p.stem for p in CONFIGS.glob("*.py")} == {*SERVICES, "zone_defaults"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_config_binds_the_service_port_with_threads_and_no_control_socket(name: str) -> None:
    package, port = SERVICES[name]
    cfg = load(name)
    assert cfg.bind == [f"0.0.0.0:{port}"]
    assert cfg.wsgi_app == f"{package}:create_app()"
    assert cfg.worker_class_str == "gthread" and cfg.threads >= 4 and cfg.workers >= 1
    assert cfg.control_socket_disable is True
    assert cfg.timeout >= 60 and 0 < cfg.graceful_timeout <= cfg.timeout
    assert cfg.accesslog == "-" and cfg.errorlog == "-"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_access_log_is_one_json_object_without_personal_data(name: str) -> None:
    fmt = load(name).access_log_format
    assert not PERSONAL_ATOMS.search(fmt), fmt
    atoms = {"t": "[01/Jun/2026:08:00:00 +0800]", "m": "POST", "U": "/api/v1/orders/R1/pay"}
    atoms |= {"s": "200", "B": "512", "D": "1834"}
    line = json.loads(fmt % atoms)
    assert line["service"] == name and line["path"] == "/api/v1/orders/R1/pay"
    assert line["status"] == 200 and line["duration_us"] == 1834


def test_simulators_run_one_worker_because_their_state_is_in_one_process() -> None:
    for name in ("insurance_center", "wechatpay", "alipay", "sms"):
        assert load(name).workers == 1


def test_environment_overrides_bind_workers_threads_and_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:18100")
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "16")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "90")
    cfg = load("hospital_gateway")
    assert (cfg.bind, cfg.workers, cfg.threads, cfg.timeout) == (["127.0.0.1:18100"], 5, 16, 90)


@pytest.mark.parametrize("value", ["many", "0"])
def test_a_bad_worker_count_stops_gunicorn_at_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GUNICORN_WORKERS", value)
    with pytest.raises(SystemExit):
        load("cloud_service")


def test_configs_are_plain_files_outside_any_package() -> None:
    # deploy/gunicorn holds files named like the service packages: it must never be importable
    # (or put on sys.path), or 'cloud_service:create_app()' would load the config instead.
    assert not (CONFIGS / "__init__.py").exists() and not (ROOT / "deploy" / "__init__.py").exists()
    for path in CONFIGS.glob("*.py"):
        assert "sys.path" not in Path(path).read_text(encoding="utf-8")
