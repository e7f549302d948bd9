"""servicekit.metrics: what each recording function adds to the process registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from servicekit import metrics
from servicekit.db import make_engine, session_factory


def value(name: str, **labels: str) -> float:
    """The current value of one sample of the process registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_envelope_is_counted_by_trade_code_and_result_with_its_latency() -> None:
    before = value("envelope_requests_total", service="unit", trade_code="1003", result_code="0000")
    hops = value("envelope_hop_duration_seconds_count", service="unit", trade_code="1003")
    metrics.envelope_recorder("unit")({"trade_code": "1003"}, "0000", 0.002)
    after = value("envelope_requests_total", service="unit", trade_code="1003", result_code="0000")
    assert after == before + 1
    assert value("envelope_hop_duration_seconds_count", service="unit", trade_code="1003") == (
        hops + 1
    )


@pytest.mark.parametrize("garbage", ["", None, "12345", "abcd", "1003' OR 1=1", 1003.5])
def test_a_trade_code_chosen_by_a_sender_never_becomes_a_new_label(garbage: object) -> None:
    assert metrics.trade_code_label(garbage) == "invalid"
    assert metrics.trade_code_label("4005") == "4005"


def test_unreadable_envelope_is_counted_as_invalid() -> None:
    labels = {"service": "unit", "trade_code": "invalid", "result_code": "1001"}
    before = value("envelope_requests_total", **labels)
    metrics.envelope_recorder("unit")({}, "1001", 0.0001)
    assert value("envelope_requests_total", **labels) == before + 1


def test_relay_latency_is_observed_by_trade_code_and_downstream() -> None:
    labels = {"trade_code": "2006", "downstream": "HIP"}
    before = value("gateway_relay_duration_seconds_count", **labels)
    slow_before = value("gateway_relay_duration_seconds_bucket", le="0.1", **labels)
    metrics.record_relay("2006", "HIP", 0.3)
    assert value("gateway_relay_duration_seconds_count", **labels) == before + 1
    assert value("gateway_relay_duration_seconds_bucket", le="0.1", **labels) == slow_before


def test_only_second_and_later_notification_attempts_count_as_retries() -> None:
    retries = value("payment_notification_retries_total", channel="unitpay")
    failed = value("payment_notification_attempts_total", channel="unitpay", outcome="failed")
    delivered = value("payment_notification_attempts_total", channel="unitpay", outcome="delivered")
    metrics.record_notification("unitpay", 1, delivered=False)
    assert value("payment_notification_retries_total", channel="unitpay") == retries
    metrics.record_notification("unitpay", 2, delivered=True)
    assert value("payment_notification_retries_total", channel="unitpay") == retries + 1
    assert (
        value("payment_notification_attempts_total", channel="unitpay", outcome="failed")
        == failed + 1
    )
    assert (
        value("payment_notification_attempts_total", channel="unitpay", outcome="delivered")
        == delivered + 1
    )


def test_reconciliation_differences_show_the_latest_run_and_add_up() -> None:
    found = value("reconciliation_differences_found_total", kind="unit_ledger")
    metrics.record_reconciliation_differences("unit_ledger", 7)
    metrics.record_reconciliation_differences("unit_ledger", 2)
    assert value("reconciliation_differences", kind="unit_ledger") == 2
    assert value("reconciliation_differences_found_total", kind="unit_ledger") == found + 9


@pytest.fixture
def orders() -> Iterator[metrics.RowsByState]:
    engine = make_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE orders (order_no TEXT, state TEXT)"))
        connection.execute(
            text("INSERT INTO orders VALUES ('a','PAID'),('b','PAID'),('c','CONFIRMED')")
        )
    yield metrics.RowsByState("saga_orders", "Orders by state.", session_factory(engine), "orders")
    engine.dispose()


def test_saga_states_are_read_from_the_table_on_each_scrape(
    orders: metrics.RowsByState,
) -> None:
    families = {
        f.name: f for f in text_string_to_metric_families(metrics.scrape([orders]).decode())
    }
    samples = {s.labels["state"]: s.value for s in families["saga_orders"].samples}
    assert samples == {"PAID": 2, "CONFIRMED": 1}


def test_a_scrape_survives_a_database_that_does_not_answer() -> None:
    engine = make_engine("sqlite://")  # no orders table: the query fails
    collector = metrics.RowsByState("saga_orders", "x", session_factory(engine), "orders")
    assert b"http_requests_total" in metrics.scrape([collector])


def test_table_names_are_not_sql() -> None:
    with pytest.raises(ValueError):
        metrics.RowsByState("x", "x", session_factory(make_engine("sqlite://")), "orders; DROP")
