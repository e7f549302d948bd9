"""The whole system in four network zones (DESIGN §1), each a network namespace:

    root (a patient) -- internet (cloud, WeChat Pay, Alipay) -- dmz (gateway)
        -- intranet (integration_platform, insurance_frontend) -- insline (insurance center)

Every service runs under gunicorn as `make run` starts it, with its own zone's addresses.
Skipped, with the reason, where namespaces cannot be made (not root, no `ip`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from devstack.keys import ensure_dev_keys
from devstack.redis_server import redis_binary
from devstack.stack import (
    CALL_SERVICE_PATH,
    DEV_PORTS,
    ROOT,
    SERVICES,
    read_env_file,
    service_env,
    stack_env,
)
from tests.zones.netns import ROOT_NS, Zones, unavailable

INTERNET, DMZ, INTRANET, INSLINE = "internet", "dmz", "intranet", "insline"
# (zone a, its address, zone b, its address): the only links there are.
LINKS = (
    (ROOT_NS, "10.200.0.1", INTERNET, "10.200.0.2"),
    (INTERNET, "10.200.1.1", DMZ, "10.200.1.2"),
    (DMZ, "10.200.2.1", INTRANET, "10.200.2.2"),
    (INTRANET, "10.200.3.1", INSLINE, "10.200.3.2"),
)
ZONE_OF = {
    "cloud_service": INTERNET,
    "wechatpay": INTERNET,
    "alipay": INTERNET,
    "sms": INTERNET,  # the SMS gateway is an outside party on the Internet
    "hospital_gateway": DMZ,
    "integration_platform": INTRANET,
    "insurance_frontend": INTRANET,
    "insurance_center": INSLINE,
}
# Where each service is reached from its neighbours.
ADDRESS = {
    "cloud_service": "10.200.1.1",  # from the DMZ (6xxx notices)
    "public": "10.200.0.2",  # the Internet zone as a patient sees it (API, cashier pages)
    "gateway_from_internet": "10.200.1.2",
    "gateway_from_intranet": "10.200.2.1",
    "integration_platform": "10.200.2.2",
    "insurance_frontend": "10.200.2.2",
    "insurance_center": "10.200.3.2",
}


@dataclass
class ZonedSystem:
    """The running zones and where things are."""

    zones: Zones
    var_dir: Path

    def public_url(self, service: str) -> str:
        """A service of the Internet zone as the patient reaches it."""
        return f"http://{ADDRESS['public']}:{DEV_PORTS[service]}"


def _zone_env(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The peer URLs each zone sees."""
    port, public = DEV_PORTS, ADDRESS["public"]
    internet = {
        "GATEWAY_URL": f"http://{ADDRESS['gateway_from_internet']}:{port['hospital_gateway']}/gateway",
        "CLOUD_PUBLIC_URL": f"http://{public}:{port['cloud_service']}",
        "WECHAT_API_URL": f"http://{public}:{port['wechatpay']}",
        "WECHAT_OAUTH_URL": f"http://{public}:{port['wechatpay']}",
        "WECHAT_OAUTH_API_URL": f"http://{public}:{port['wechatpay']}",
        "WECHAT_JSBRIDGE_SCRIPT_URL": f"http://{public}:{port['wechatpay']}/jsbridge.js",
        "ALIPAY_API_URL": f"http://{public}:{port['alipay']}/gateway.do",
        "ALIPAY_OAUTH_URL": f"http://{public}:{port['alipay']}/oauth2/publicAppAuthorize.htm",
        "ALIPAY_JSBRIDGE_SCRIPT_URL": f"http://{public}:{port['alipay']}/jsbridge.js",
        "SMS_API_URL": f"http://{public}:{port['sms']}",
    }
    dmz = {
        "CLOUD_ENVELOPE_URL": f"http://{ADDRESS['cloud_service']}:{port['cloud_service']}/envelope",
        "HIP_ENVELOPE_URL": f"http://{ADDRESS['integration_platform']}:{port['integration_platform']}/envelope",
        "INSFE_ENVELOPE_URL": f"http://{ADDRESS['insurance_frontend']}:{port['insurance_frontend']}/envelope",
    }
    intranet = {
        "GATEWAY_URL": f"http://{ADDRESS['gateway_from_intranet']}:{port['hospital_gateway']}/gateway",
        "HIP_ENVELOPE_URL": f"http://127.0.0.1:{port['integration_platform']}/envelope",
        "INSURANCE_CENTER_URL": f"http://{ADDRESS['insurance_center']}:{port['insurance_center']}{CALL_SERVICE_PATH}",
    }
    shared = {**env, "REDIS_URL": f"redis://127.0.0.1:{port['redis']}/0"}
    return {
        INTERNET: {**shared, **internet},
        DMZ: {**shared, **dmz},
        INTRANET: {**shared, **intranet},
        INSLINE: shared,
    }


def _wait(zones: Zones, zone: str, url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if zones.answers(zone, url):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{url} in zone {zone} did not answer in {seconds} s")


def _log(logs: ExitStack, var_dir: Path, name: str) -> IO[bytes]:
    """A process's log file under var_dir/logs, closed with the stack."""
    return logs.enter_context(open(var_dir / "logs" / f"{name}.log", "ab"))


def _start(zones: Zones, var_dir: Path, envs: dict[str, dict[str, str]], logs: ExitStack) -> None:
    for zone in (INTERNET, DMZ, INTRANET):  # each zone keeps its own Redis
        log = _log(logs, var_dir, f"redis-{zone}")
        argv = [redis_binary(), "--port", str(DEV_PORTS["redis"]), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(var_dir)]
        zones.start(zone, argv, envs[zone], log, str(ROOT))
    for service in SERVICES:
        zone = ZONE_OF[service.name]
        env = service_env(envs[zone], service.name, var_dir)
        for command in service.migrate:
            argv = [sys.executable, "-m", service.name, command]
            subprocess.run(argv, env=env, cwd=ROOT, check=True)
        log = _log(logs, var_dir, service.name)
        port = DEV_PORTS[service.name]
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"0.0.0.0:{port}"]
        argv += ["--workers", str(service.workers), "--threads", str(service.threads)]
        argv += ["--timeout", "60", "--graceful-timeout", "5", "--no-control-socket", service.app]
        zones.start(zone, argv, env, log, str(ROOT))
        _wait(zones, zone, f"http://127.0.0.1:{port}/healthz")
        for name, args in service.companions:
            argv = [sys.executable, "-m", *args]
            zones.start(zone, argv, env, _log(logs, var_dir, name), str(ROOT))


@pytest.fixture(scope="module")
def zoned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZonedSystem]:
    """Every service in its zone; namespaces and processes removed afterwards, always."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    var_dir = tmp_path_factory.mktemp("zones")
    (var_dir / "logs").mkdir()
    env = stack_env(read_env_file(ROOT / "deploy" / "dev.env"), DEV_PORTS, var_dir)
    ensure_dev_keys(ROOT, env)
    zones = Zones()
    with ExitStack() as logs:
        try:
            for zone in (INTERNET, DMZ, INTRANET, INSLINE):
                zones.add(zone)
            for link in LINKS:
                zones.link(*link)
            _start(zones, var_dir, _zone_env(env), logs)
            yield ZonedSystem(zones, var_dir)
        finally:
            zones.close()
