"""GET /metrics on real apps: envelopes counted by trade code and result, HTTP requests by
route, gateway relay latency by downstream, and every gunicorn worker summed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.serving import make_server

from envelope import CLOUD, HIP, INSFE
from hospital_gateway import MIGRATIONS, create_app
from hospital_gateway.settings import Settings
from servicekit.db import migrate
from servicekit.metrics import install_metrics
from tests.integration.hospital_gateway.gateway_support import (
    HOSPITAL,
    ID_CARD_NO,
    NAME,
    RINGS,
    Backend,
    clear_rate_limits,
    patient_query,
    post,
    sender,
)

ROOT = Path(__file__).resolve().parents[3]


def scraped(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of GET /metrics, keyed by name and sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def sample(samples: dict, name: str, **labels: str) -> float:
    """One sample's value, 0 when absent."""
    return float(samples.get((name, tuple(sorted(labels.items()))), 0.0))


@pytest.fixture(scope="module")
def hip_backend() -> Iterator[Backend]:
    """A fake integration_platform answering 1001 over real HTTP."""
    backend = Backend(HIP, RINGS[HIP], frozenset({CLOUD}), {"1001": patient_query})
    server = make_server("127.0.0.1", 0, backend.app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    backend.url = f"http://127.0.0.1:{server.server_port}/envelope"
    yield backend
    server.shutdown()


@pytest.fixture
def gateway(redis_url: str, tmp_path: Path, hip_backend: Backend) -> FlaskClient:
    """The real gateway app in front of the fake HIP."""
    clear_rate_limits(redis_url)
    database_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate(database_url, MIGRATIONS)
    settings = Settings(
        redis_url=redis_url,
        hospital_code=HOSPITAL,
        hip_envelope_url=hip_backend.url,
        insfe_envelope_url="http://127.0.0.1:9/envelope",
        cloud_envelope_url="http://127.0.0.1:9/envelope",
        cloud_ring=RINGS[CLOUD],
        hip_ring=RINGS[HIP],
        insfe_ring=RINGS[INSFE],
        database_url=database_url,
        relay_connect_timeout=0.5,
        relay_read_timeout=0.5,
        audit_token="t",
    )
    return create_app(settings).test_client()


def test_gateway_counts_envelopes_by_trade_code_and_result(gateway: FlaskClient) -> None:
    ok = {"service": "hospital_gateway", "trade_code": "1001", "result_code": "0000"}
    refused = {**ok, "result_code": "2001"}
    before = scraped(gateway)
    post(gateway, sender(CLOUD, HIP).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME}))
    post(gateway, sender(CLOUD, HIP).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME}))
    other = {"id_card_no": "110105199001010011", "name": NAME}
    post(gateway, sender(CLOUD, HIP).build("1001", other))
    after = scraped(gateway)
    name = "envelope_requests_total"
    assert sample(after, name, **ok) == sample(before, name, **ok) + 2
    assert sample(after, name, **refused) == sample(before, name, **refused) + 1
    hops = "envelope_hop_duration_seconds_count"
    labels = {"service": "hospital_gateway", "trade_code": "1001"}
    assert sample(after, hops, **labels) == sample(before, hops, **labels) + 3


def test_gateway_times_the_relay_by_downstream(gateway: FlaskClient) -> None:
    labels = {"trade_code": "1001", "downstream": HIP}
    name = "gateway_relay_duration_seconds_count"
    before = sample(scraped(gateway), name, **labels)
    post(gateway, sender(CLOUD, HIP).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME}))
    assert sample(scraped(gateway), name, **labels) == before + 1


def test_refusal_before_the_relay_is_counted_and_never_timed_downstream(
    gateway: FlaskClient,
) -> None:
    forged = sender(CLOUD, HIP, RINGS[HIP]).build("1001", {"id_card_no": ID_CARD_NO, "name": NAME})
    bad_sign = {"service": "hospital_gateway", "trade_code": "1001", "result_code": "1003"}
    relayed = {"trade_code": "1001", "downstream": HIP}
    before = scraped(gateway)
    _status, answer = post(gateway, forged)
    assert answer["header"]["result_code"] == "1003"
    after = scraped(gateway)
    assert sample(after, "envelope_requests_total", **bad_sign) == (
        sample(before, "envelope_requests_total", **bad_sign) + 1
    )
    relay = "gateway_relay_duration_seconds_count"
    assert sample(after, relay, **relayed) == sample(before, relay, **relayed)


def test_http_requests_are_counted_by_route_not_by_path() -> None:
    app = Flask("metrics_probe")

    @app.get("/orders/<order_no>")
    def order(order_no: str) -> str:
        return order_no

    install_metrics(app, "probe")
    client = app.test_client()
    client.get("/orders/A1")
    client.get("/orders/B2")
    client.get("/nowhere")
    samples = scraped(client)
    route = {"service": "probe", "method": "GET", "route": "/orders/<order_no>", "status": "200"}
    assert sample(samples, "http_requests_total", **route) == 2
    unmatched = {**route, "route": "unmatched", "status": "404"}
    assert sample(samples, "http_requests_total", **unmatched) == 1


WORKER = """
from servicekit.metrics import record_envelope
record_envelope("multi", "2006", "0000", 0.01)
"""
SCRAPER = """
import sys
from servicekit.metrics import scrape
sys.stdout.write(scrape().decode())
"""


def test_every_worker_process_is_summed_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(3):
        subprocess.run([sys.executable, "-c", WORKER], env=env, cwd=ROOT, check=True)
    out = subprocess.run(
        [sys.executable, "-c", SCRAPER], env=env, cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(out)
        for s in family.samples
    }
    labels = {"service": "multi", "trade_code": "2006", "result_code": "0000"}
    assert sample(samples, "envelope_requests_total", **labels) == 3
