"""The gateway with a real Redis and a temporary SQLite audit, and fake HIP, INSFE and CLOUD
backends as real HTTP servers that verify what reaches them with their own link key."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from envelope import CLOUD, HIP, INSFE
from hospital_gateway import MIGRATIONS, create_app
from hospital_gateway.settings import Settings
from servicekit.db import migrate
from tests.integration.hospital_gateway.gateway_support import (
    AUDIT_TOKEN,
    HOSPITAL,
    RINGS,
    Backend,
    clear_rate_limits,
    patient_query,
    slow_patient_info,
)


def _serve(backend: Backend, stack: list[Callable[[], None]]) -> None:
    server = make_server("127.0.0.1", 0, backend.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    backend.url = f"http://127.0.0.1:{server.server_port}/envelope"
    stack.append(server.shutdown)


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, Backend]]:
    """HIP, INSFE and CLOUD, each a real HTTP server on a free port."""
    made = {
        HIP: Backend(
            HIP,
            RINGS[HIP],
            frozenset({CLOUD}),
            {
                "1001": patient_query,
                "1003": slow_patient_info,
                "2001": lambda _i: {"departments": []},
            },
        ),
        INSFE: Backend(
            INSFE,
            RINGS[INSFE],
            frozenset({CLOUD}),
            {
                "4003": lambda _i: {
                    "psn_no": "PSN0001",
                    "insutype": "310",
                    "insuplc_admdvs": "110105",
                    "psn_type": "11",
                    "acct_balance": 1000,
                    "status": "INSURED",
                }
            },
        ),
        CLOUD: Backend(
            CLOUD, RINGS[CLOUD], frozenset({HIP, INSFE}), {"6001": lambda _i: {"ack": True}}
        ),
    }
    stops: list[Callable[[], None]] = []
    for backend in made.values():
        _serve(backend, stops)
    yield made
    for stop in stops:
        stop()


@pytest.fixture(autouse=True)
def _fresh_counters(request: pytest.FixtureRequest) -> None:
    if "backends" in request.fixturenames:
        for backend in request.getfixturevalue("backends").values():
            backend.received.clear()
            backend.results.clear()


@pytest.fixture
def gateway_settings(redis_url: str, tmp_path: Path, backends: dict[str, Backend]) -> Settings:
    """Settings pointing at the fakes, with a short read timeout and a migrated audit DB.

    Rate-limit counters of earlier tests are cleared: every test starts with a full budget.
    """
    clear_rate_limits(redis_url)
    database_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate(database_url, MIGRATIONS)
    return Settings(
        redis_url=redis_url,
        hospital_code=HOSPITAL,
        hip_envelope_url=backends[HIP].url,
        insfe_envelope_url=backends[INSFE].url,
        cloud_envelope_url=backends[CLOUD].url,
        cloud_ring=RINGS[CLOUD],
        hip_ring=RINGS[HIP],
        insfe_ring=RINGS[INSFE],
        database_url=database_url,
        relay_connect_timeout=0.5,
        relay_read_timeout=0.5,
        audit_token=AUDIT_TOKEN,
    )


@pytest.fixture
def make_gateway(gateway_settings: Settings) -> Callable[..., FlaskClient]:
    """A test client of a gateway, with some settings replaced if asked."""

    def make(**overrides: Any) -> FlaskClient:
        return create_app(replace(gateway_settings, **overrides)).test_client()

    return make


@pytest.fixture
def gateway(make_gateway: Callable[..., FlaskClient]) -> FlaskClient:
    """A test client of the gateway as configured for the tests."""
    return make_gateway()
