"""The H5 pages and the operations console through Flask's test client: real ledger,
the gateway's audit faked at its edge."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from cloud_service import create_app, saga, web
from cloud_service.console.timeline import AuditUnavailable
from cloud_service.deps import Deps
from cloud_service.models import AppUser, Order, OrderEvent
from cloud_service.settings import Settings
from envelope import clock
from servicekit.db import make_engine, session_factory, transaction
from tests.cloud_env import cloud_env
from tests.unit.cloud_service.fakes import FakeChannel, FakeHospital, ok

PASSWORD = "pw-console"


class FakeAudit:
    """The gateway's audit: rows per trace, or unavailable."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.down = False

    def by_trace(self, trace_id: str) -> list[dict[str, Any]]:
        if self.down:
            raise AuditUnavailable("gateway answered HTTP 404")
        return self.rows.get(trace_id, [])


@pytest.fixture()
def app(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The cloud app with its pages over a migrated SQLite ledger."""
    env = cloud_env(tmp_path, redis_url)
    url = env["DATABASE_URL"]
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    env["CONSOLE_USERS"] = ",".join(f"{n}:{n.upper()}:{hashed}" for n in ("viewer", "operator"))
    flask_app = create_app(Settings.from_env(env))
    web.register(flask_app)
    web.register(flask_app)  # a second call (the factory may register too) changes nothing
    flask_app.extensions["cloud_deps"] = Deps(
        sessions=session_factory(make_engine(url)),
        hospital=FakeHospital(
            answers={
                "4008": [ok(result="BALANCED", ours={}, center={}, differences=[])],
                "4009": [ok(result="BALANCED", count=0, items=[])],
            }
        ),
        channels={"WECHAT": FakeChannel()},
    )  # type: ignore[dict-item]
    flask_app.extensions["console_audit"] = FakeAudit()
    yield flask_app


def _order(app: Flask, order_no: str, state: str, note: str = "registration confirmed") -> None:
    deps: Deps = app.extensions["cloud_deps"]
    with transaction(deps.sessions) as session:
        if session.get(AppUser, "U1") is None:
            session.add(AppUser(user_id="U1", phone="13800000001"))
            session.flush()
        session.add(
            Order(
                order_no=order_no,
                user_id="U1",
                mrn="M0001",
                kind="REG",
                state=state,
                pay_mode="SELF_PAY",
                channel="WECHAT",
                total_fen=3100,
                cash_fen=3100,
                trace_id=f"trace-{order_no}",
            )
        )
        session.flush()
        session.add(OrderEvent(order_no=order_no, from_state="PAID", to_state=state, note=note))


def login_csrf(client: FlaskClient) -> str:
    """The sign-in form's CSRF token (the page also sets the cookie it is bound to)."""
    page = client.get("/console/login").get_data(as_text=True)
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    return found.group(1) if found else ""


def _signed_in(app: Flask, name: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    form = {"name": name, "password": PASSWORD, "csrf": login_csrf(client)}
    answer = client.post("/console/login", data=form)
    assert answer.status_code == 302
    page = client.get("/console/reconciliation").get_data(as_text=True)
    found = re.search(r'<meta name="csrf" content="([^"]+)"', page)
    return client, found.group(1) if found else ""


def _audited(deps: Deps, order_no: str) -> list[tuple[str, str]]:
    """Who did what to the order: the operations audit when the cloud has one, else the
    console's notes in the order's history."""
    try:
        from cloud_service.reconcile import recent_operations
    except ImportError:
        with deps.sessions() as session:
            notes = [e.note for e in session.query(OrderEvent).filter_by(order_no=order_no)]
        return [
            ("operator", "window_refund")
            for n in notes
            if n.startswith("console window_refund by operator")
        ]
    return [(r["actor"], r["action"]) for r in recent_operations(deps, 10, order_no)]


def test_every_patient_page_is_served_in_chinese_and_an_unknown_one_is_404(app: Flask) -> None:
    client = app.test_client()
    for path in ("/h5/", "/h5/bind", "/h5/book", "/h5/pay", "/h5/result", "/h5/bills"):
        page = client.get(path)
        assert page.status_code == 200 and 'lang="zh-CN"' in page.get_data(as_text=True)
    assert "/api/v1" in client.get("/h5/static/h5.js").get_data(as_text=True)
    assert client.get("/h5/nothing").status_code == 404


def test_the_console_asks_for_sign_in_and_refuses_a_wrong_password(app: Flask) -> None:
    client = app.test_client()
    answer = client.get("/console/orders")
    assert answer.status_code == 302 and "/console/login" in answer.headers["Location"]
    form = {"name": "operator", "password": "nope", "csrf": login_csrf(client)}
    wrong = client.post("/console/login", data=form)
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)
    assert client.get("/console/orders").status_code == 302


def test_the_timeline_merges_the_cloud_history_with_the_gateway_audit(app: Flask) -> None:
    _order(app, "R1", saga.CONFIRMED)
    app.extensions["console_audit"].rows["trace-R1"] = [
        {"at": clock.now_iso(), "direction": "IN", "trade_code": "2008", "sender": "CLOUD",
         "receiver": "HIP", "result_code": "0000", "latency_ms": 12, "msg_id": "CLOUD1"}
    ]  # fmt: skip
    client, _ = _signed_in(app, "viewer")
    page = client.get("/console/orders/R1").get_data(as_text=True)
    assert "registration confirmed" in page and "2008 CLOUD→HIP" in page
    assert 'id="window-refund"' not in page  # a viewer may not record refunds
    app.extensions["console_audit"].down = True
    page = client.get("/console/orders/R1").get_data(as_text=True)
    assert 'id="audit-note"' in page and "registration confirmed" in page
    assert client.get("/console/orders/NOPE").status_code == 404


def test_a_viewer_may_not_record_a_window_refund(app: Flask) -> None:
    _order(app, "R1", saga.CONFIRMED)
    client, csrf = _signed_in(app, "viewer")
    answer = client.post(
        "/console/orders/R1/window-refund",
        data={"csrf": csrf, "refund_no": "W1", "amount_yuan": "31.00"},
    )
    assert answer.status_code == 403
    with app.extensions["cloud_deps"].sessions() as session:
        assert session.get_one(Order, "R1").state == saga.CONFIRMED


def test_an_operator_records_a_window_refund_once_and_it_is_audited(app: Flask) -> None:
    _order(app, "R1", saga.CONFIRMED)
    client, csrf = _signed_in(app, "operator")
    form = {"csrf": csrf, "refund_no": "W1", "amount_yuan": "31.00", "reason": "退号"}
    assert (
        client.post("/console/orders/R1/window-refund", data={**form, "csrf": "x"}).status_code
        == 400
    )
    answer = client.post("/console/orders/R1/window-refund", data=form)
    assert answer.status_code == 200 and "已登记窗口退费" in answer.get_data(as_text=True)
    deps: Deps = app.extensions["cloud_deps"]
    with deps.sessions() as session:
        assert session.get_one(Order, "R1").state == saga.REFUNDED
        notes = [e.note for e in session.query(OrderEvent).filter_by(order_no="R1")]
    assert any('"refund_fen": 3100' in n and '"recorded_by": "operator"' in n for n in notes)
    assert _audited(deps, "R1") == [("operator", "window_refund")]


@pytest.mark.parametrize(
    ("state", "amount", "code"),
    [(saga.AWAITING_PAYMENT, "31.00", "2014"), (saga.CONFIRMED, "31.001", "1009"),
     (saga.CONFIRMED, "99.00", "2006")],
)  # fmt: skip
def test_a_refund_that_cannot_be_recorded_says_why(
    app: Flask, state: str, amount: str, code: str
) -> None:
    _order(app, "R1", state)
    client, csrf = _signed_in(app, "operator")
    answer = client.post(
        "/console/orders/R1/window-refund",
        data={"csrf": csrf, "refund_no": "W1", "amount_yuan": amount},
    )
    assert answer.status_code == 409 and code in answer.get_data(as_text=True)
    with app.extensions["cloud_deps"].sessions() as session:
        assert session.get_one(Order, "R1").state == state


def test_orders_are_searched_and_a_bad_date_is_a_message_not_a_500(app: Flask) -> None:
    _order(app, "R1", saga.CONFIRMED)
    _order(app, "R2", saga.CANCELLED)
    client, _ = _signed_in(app, "viewer")
    page = client.get("/console/orders?state=CONFIRMED").get_data(as_text=True)
    assert "R1" in page and ">R2<" not in page
    today = clock.today().isoformat()
    assert ">R2<" in client.get(f"/console/orders?day={today}").get_data(as_text=True)
    bad = client.get("/console/orders?day=2026-13-40")
    assert bad.status_code == 200 and "yyyy-MM-dd" in bad.get_data(as_text=True)


def test_the_insurance_page_shows_settlements_and_2013_refusals(app: Flask) -> None:
    _order(app, "R1", saga.INSURANCE_SETTLED, "insurance settled S123")
    _order(app, "R2", saga.REVERSING, "insurance refused: 2013 sign-in expired")
    client, _ = _signed_in(app, "viewer")
    page = client.get("/console/insurance").get_data(as_text=True)
    assert "insurance settled S123" in page and "2013 sign-in expired" in page
    assert "云端无法直接查询" in page


def test_only_an_operator_runs_reconciliation_and_the_week_is_charted(app: Flask) -> None:
    day = clock.today().isoformat()
    viewer, csrf = _signed_in(app, "viewer")
    refused = viewer.post(
        f"/console/reconciliation/{day}/run", json={}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 403
    operator, csrf = _signed_in(app, "operator")
    assert operator.get("/console/reconciliation/2026-02-30.json").status_code == 400
    ran = operator.post(
        f"/console/reconciliation/{day}/run", json={"repair": False}, headers={"X-CSRF-Token": csrf}
    )
    assert ran.status_code == 200 and "summary" in ran.get_json()
    view = operator.get(f"/console/reconciliation/{day}.json").get_json()
    assert [p["date"] for p in view["daily"]][-1] == day and len(view["daily"]) == 7
    assert view["daily"][-1]["reconciled"] and view["report"]["date"] == day
    assert _audited_day(app, day) == [("operator", "reconcile_run")]


def _audited_day(app: Flask, day: str) -> list[tuple[str, str]]:
    from cloud_service.reconcile import recent_operations

    rows = recent_operations(app.extensions["cloud_deps"], 10, day)
    return [(r["actor"], r["action"]) for r in rows]


def test_a_window_refund_posted_twice_is_refused_the_second_time(app: Flask) -> None:
    _order(app, "R1", saga.CONFIRMED)
    client, csrf = _signed_in(app, "operator")
    form = {"csrf": csrf, "refund_no": "W1", "amount_yuan": "1.00", "reason": "部分退费"}
    first = client.post("/console/orders/R1/window-refund", data=form)
    assert first.status_code == 200 and "已登记部分窗口退费" in first.get_data(as_text=True)
    again = client.post("/console/orders/R1/window-refund", data=form)
    assert again.status_code == 409 and "2014" in again.get_data(as_text=True)
    with app.extensions["cloud_deps"].sessions() as session:
        order = session.get_one(Order, "R1")
    assert (order.state, order.refunded_fen) == (saga.PARTIALLY_REFUNDED, 100)
