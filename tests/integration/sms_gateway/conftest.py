"""The SMS gateway simulator over a fresh SQLite file, through its test client or served on
a free port for the cloud's real client (the vendor's SDK)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import TestResponse

from simulators.sms import Settings, create_app
from simulators.sms.signing import signed_request

ACCESS_KEY_ID, SECRET = "LTAI0TEST0KEY", "test-sms-secret-0001"
SIGN_NAME, TEMPLATE = "示范市第一人民医院", "SMS_000000001"
PHONE = "13800000001"


def business(**overrides: str) -> dict[str, str]:
    """SendSms's own parameters for one code to PHONE, with any of them replaced."""
    params = {
        "Action": "SendSms",
        "PhoneNumbers": PHONE,
        "SignName": SIGN_NAME,
        "TemplateCode": TEMPLATE,
        "TemplateParam": '{"code":"123456"}',
    }
    params.update(overrides)
    return params


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """One key, one sign name, two templates, the vendor's default flow control."""
    return Settings(
        access_key_id=ACCESS_KEY_ID,
        access_key_secret=SECRET,
        sign_names=(SIGN_NAME,),
        template_codes=(TEMPLATE, "SMS_000000002"),
        database_url=f"sqlite:///{tmp_path / 'sms_sim.db'}",
    )


@pytest.fixture()
def make_client(settings: Settings) -> Callable[..., FlaskClient]:
    """A test client of a simulator with some settings changed (e.g. the limits)."""

    def build(**changes: Any) -> FlaskClient:
        app: Flask = create_app(replace(settings, **changes))
        return app.test_client()

    return build


@pytest.fixture()
def client(make_client: Callable[..., FlaskClient]) -> FlaskClient:
    """A test client of the simulator with its default settings."""
    return make_client()


def send(
    client: FlaskClient,
    method: str = "POST",
    secret: str = SECRET,
    key_id: str = ACCESS_KEY_ID,
    **overrides: str,
) -> TestResponse:
    """A correctly signed SendSms (unless told otherwise), by POST form or GET query."""
    params = signed_request(method, business(**overrides), key_id, secret)
    if method == "GET":
        return client.get("/", query_string=params)
    return client.post("/", data=params)


def listed(client: FlaskClient, phone: str = PHONE) -> list[dict[str, Any]]:
    """What the simulator says it sent to the phone, newest last."""
    answer = client.get(f"/admin/messages?phone={phone}")
    assert answer.status_code == 200
    messages: list[dict[str, Any]] = answer.get_json()["messages"]
    return messages


@pytest.fixture()
def served(settings: Settings) -> Iterator[str]:
    """The simulator on 127.0.0.1 on a free port, in a daemon thread: its base URL."""
    server: BaseWSGIServer = make_server(
        "127.0.0.1",
        0,
        create_app(settings),
        threaded=True,  # type: ignore[arg-type]
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
