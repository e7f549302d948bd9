"""GET /metrics of the Internet-facing cloud: only with the monitoring token, and not
served at all when no token is set; the intranet services keep theirs open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from cloud_service import create_app
from cloud_service.settings import Settings
from servicekit.metrics import install_metrics
from tests.cloud_env import cloud_env

TOKEN = "metrics-token-for-this-test"


@pytest.fixture()
def cloud(tmp_path: Path, redis_url: str) -> Callable[[str], Flask]:
    """The cloud app from deploy/dev.env with the given METRICS_TOKEN."""
    env = cloud_env(tmp_path, redis_url)
    return lambda token: create_app(Settings.from_env({**env, "METRICS_TOKEN": token}))


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
     {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer "}],
)  # fmt: skip
def test_a_scrape_without_the_right_token_is_refused_with_a_result_code(
    cloud: Callable[[str], Flask], headers: dict[str, str]
) -> None:
    answer = cloud(TOKEN).test_client().get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.get_json()["result_code"] == "1003"
    assert b"http_requests_total" not in answer.data
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_scrape_with_the_token_gets_the_metrics(cloud: Callable[[str], Flask]) -> None:
    answer = (
        cloud(TOKEN).test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    )
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    names = {f.name for f in text_string_to_metric_families(answer.get_data(as_text=True))}
    assert {"cloud_saga_orders", "http_requests"} <= names


def test_without_a_token_setting_the_cloud_serves_no_metrics(
    cloud: Callable[[str], Flask],
) -> None:
    client = cloud("").test_client()
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x"}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 404 and answer.get_json()["result_code"]
        assert b"http_requests_total" not in answer.data


def test_a_service_without_a_token_keeps_its_metrics_open() -> None:
    app = Flask("intranet_probe")
    install_metrics(app, "intranet_probe")
    assert app.test_client().get("/metrics").status_code == 200
