"""The shared /sim/faults blueprint over a channel's fault rows: inject, list, clear, and a
malformed body refused with 400, never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from servicekit.db import make_engine, session_factory
from simulators.wechatpay import admin
from simulators.wechatpay.models import Base


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    engine = make_engine(f"sqlite:///{tmp_path / 'faults.db'}")
    Base.metadata.create_all(engine)
    app = Flask(__name__)
    app.register_blueprint(admin.faults_blueprint(session_factory(engine)))
    return app.test_client()


@pytest.mark.parametrize("body", [[1, 2], "drop", 7, {"mode": "explode"}, {"mode": None}])
def test_a_body_that_is_no_fault_object_is_refused_with_400(client: FlaskClient, body: Any) -> None:
    assert client.post("/sim/faults", json=body).status_code == 400
    assert client.get("/sim/faults").get_json() == {"faults": []}


def test_an_injected_fault_is_listed_with_its_own_fields_then_cleared(
    client: FlaskClient,
) -> None:
    made = client.post("/sim/faults", json={"mode": "delay", "seconds": 1, "count": 2})
    assert made.status_code == 201
    assert made.get_json()["path_prefix"] == "/v3/" and made.get_json()["remaining"] == 2
    client.post("/sim/faults", json={"mode": "error", "path_prefix": "/sns/"})
    listed = client.get("/sim/faults").get_json()["faults"]
    assert [(f["mode"], f["path_prefix"]) for f in listed] == [
        ("delay", "/v3/"),
        ("error", "/sns/"),
    ]
    assert client.delete("/sim/faults").status_code == 204
    assert client.get("/sim/faults").get_json() == {"faults": []}
