"""The operations reconciliation API over a PostgreSQL ledger: token, run, report, page."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient

from cloud_service.api import reconcile as reconcile_api
from cloud_service.deps import Deps
from cloud_service.errors import CloudError, api_status
from envelope import clock
from servicekit.db import make_engine, migrate, session_factory
from servicekit.web import install_common
from tests.unit.cloud_saga.saga_fakes import BillingChannel, paid_order
from tests.unit.cloud_service.fakes import FakeHospital, ok

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "ops-token-for-tests-0001"


@pytest.fixture()
def ledger(postgres_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database with the cloud's migrations (0003 included)."""
    name = f"cloudsaga_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    migrate(url, ROOT / "cloud_service" / "migrations")
    yield url
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def deps(ledger: str) -> Deps:
    """Deps on the PostgreSQL ledger, the hospital and WeChat Pay faked."""
    hospital = FakeHospital()
    hospital.then("4008", ok(result="BALANCED", ours={}, center={}))
    hospital.then("2010", ok(status="LOCKED"))
    engine = make_engine(ledger)
    return Deps(
        sessions=session_factory(engine),
        hospital=hospital,
        channels={"WECHAT": BillingChannel()},  # type: ignore[dict-item]
    )


@pytest.fixture()
def client(deps: Deps) -> FlaskClient:
    """An app serving only the operations blueprint, as create_app registers it."""
    app = Flask(__name__)
    app.extensions["cloud_deps"] = deps
    app.register_blueprint(reconcile_api.blueprint(TOKEN))

    @app.errorhandler(CloudError)
    def refused(exc: CloudError):  # type: ignore[no-untyped-def]
        return jsonify(result_code=exc.result_code, result_msg=exc.result_msg), api_status(
            exc.result_code
        )

    return app.test_client()


AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "/api/v1/ops/reconciliation"


def test_without_the_ops_token_every_call_is_refused(client: FlaskClient) -> None:
    today = clock.today().isoformat()
    assert client.get(f"{BASE}/{today}").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    answer = client.post(f"{BASE}/{today}/run", headers=wrong)
    assert answer.status_code == 401 and answer.json["result_code"] == "1003"  # type: ignore[index]


def test_with_an_empty_ops_token_setting_the_endpoints_are_not_served(deps: Deps) -> None:
    app = Flask(__name__)
    app.extensions["cloud_deps"] = deps
    install_common(app, "cloud_service")
    app.register_blueprint(reconcile_api.blueprint(""))
    client = app.test_client()
    today = clock.today().isoformat()
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}"}):
        answer = client.post(f"{BASE}/{today}/run", headers=headers)
        assert answer.status_code == 404 and answer.json["result_code"] == "1010"  # type: ignore[index]
    assert client.get(f"{BASE}/{today}/page?token=").status_code == 404


def test_a_bad_date_is_1009_and_an_unreconciled_day_is_2008(client: FlaskClient) -> None:
    bad = client.get(f"{BASE}/2026-13-45", headers=AUTH)
    assert bad.status_code == 400 and bad.json["result_code"] == "1009"  # type: ignore[index]
    missing = client.get(f"{BASE}/2020-01-01", headers=AUTH)
    assert missing.status_code == 404 and missing.json["result_code"] == "2008"  # type: ignore[index]
    flag = client.post(f"{BASE}/2020-01-01/run", headers=AUTH, json={"repair": "yes"})
    assert flag.status_code == 400


def test_run_then_read_the_report_as_json_and_as_a_page(client: FlaskClient, deps: Deps) -> None:
    paid_order(deps, deps.channels["WECHAT"], "SELF_PAY")  # type: ignore[arg-type]
    today = clock.today().isoformat()
    ran = client.post(f"{BASE}/{today}/run", headers=AUTH, json={"repair": False})
    assert ran.status_code == 200
    report = ran.json
    assert report is not None and report["orders"]["count"] == 1
    assert [d["kind"] for d in report["differences"]] == []  # PAID and recent: not stuck yet
    assert client.get(f"{BASE}/{today}", headers=AUTH).json == report
    page = client.get(f"{BASE}/{today}/page?token={TOKEN}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert f"Reconciliation {today}" in page.get_data(as_text=True)
    audit = client.get("/api/v1/ops/operations", headers=AUTH)
    assert audit.status_code == 200 and audit.json == {"operations": []}
