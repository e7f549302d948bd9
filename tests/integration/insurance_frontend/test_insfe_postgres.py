"""insurance_frontend on PostgreSQL, where a message's statements run in autocommit on one
held connection (insurance_frontend/db.py): each is committed when it returns, a guarded
update still refuses an order in the wrong state, and a lost settle is still resolved."""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Iterator

import pytest
import requests
from flask import Flask

from insurance_frontend import Settings, create_app
from insurance_frontend.__main__ import MIGRATIONS
from insurance_frontend.orders import OPEN, SETTLED
from servicekit.db import migrate
from tests.integration.insurance_frontend.insfe_calls import adds_up, parts, reg_body, send
from tests.integration.insurance_frontend.insfe_neighbours import FakeHis

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture()
def pg_settings(settings: Settings) -> Iterator[Settings]:
    """The fixture's settings on a fresh PostgreSQL database of their own."""
    import psycopg

    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {ADMIN_URL}: {exc}")
    name = f"insfe_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{ADMIN_URL.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    try:
        migrate(url, MIGRATIONS)
        yield dataclasses.replace(settings, database_url=url)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture()
def pg_app(pg_settings: Settings) -> Flask:
    return create_app(pg_settings)


def test_registration_on_postgres_is_booked_and_every_row_committed(
    pg_app: Flask, his: FakeHis
) -> None:
    body = reg_body(his)
    pre = send(pg_app, "4004", body)
    assert pre[0] == "0000" and adds_up(pre[2]["split"])
    settled = send(pg_app, "4005", body)
    assert settled[0] == "0000" and settled[2]["status"] == SETTLED
    assert send(pg_app, "4005", body)[2] == settled[2]  # answered as before, not again
    rows = [(r.infno, r.outcome) for r in parts(pg_app).ledger.rows(body["order_no"])]
    assert rows == [("2201", "OK"), ("2204", "OK"), ("2206", "OK"), ("2207", "OK")]
    assert all(r.msgid and r.request for r in parts(pg_app).ledger.rows(body["order_no"]))


def test_guarded_update_on_postgres_refuses_an_order_in_another_state(
    pg_app: Flask, his: FakeHis
) -> None:
    body = reg_body(his)
    assert send(pg_app, "4004", body)[0] == "0000"
    assert send(pg_app, "4005", body)[0] == "0000"
    orders = parts(pg_app).settlement.orders
    with pytest.raises(Exception) as refused:
        orders.update(body["order_no"], (OPEN,), status=OPEN)
    assert getattr(refused.value, "result_code", "") == "2014"
    assert orders.get(body["order_no"]).status == SETTLED  # type: ignore[union-attr]


def test_lost_settle_on_postgres_is_resolved_by_2601_then_settled_once(
    pg_settings: Settings, his: FakeHis, center: str
) -> None:
    app = create_app(dataclasses.replace(pg_settings, center_read_timeout=1.0))
    body = reg_body(his)
    assert send(app, "4004", body)[0] == "0000"
    requests.post(
        f"{center}/sim/faults", json={"infno": "2207", "mode": "drop", "seconds": 2}, timeout=5
    )
    assert send(app, "4005", body)[0] == "3003"
    assert send(app, "4007", {"order_no": body["order_no"]})[2]["status"] == "PRESETTLED"
    assert send(app, "4005", body)[0] == "0000"
    outcomes = [(r.infno, r.outcome) for r in parts(app).ledger.rows(body["order_no"])]
    assert outcomes[-3:] == [("2207", "REVERSED"), ("2601", "OK"), ("2207", "OK")]
