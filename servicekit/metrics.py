"""Prometheus metrics for every service: ``GET /metrics``, HTTP and envelope counters, hop
latency histograms, gateway relay latency, saga states, notification retries and
reconciliation differences.

gunicorn runs several workers per service. When ``PROMETHEUS_MULTIPROC_DIR`` is set (devstack
sets one directory per service) every worker writes its samples there and ``/metrics``
answers the sum over all workers, whichever worker a scrape reaches. Without it each process
answers its own samples (tests, a single process).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from servicekit.bearer import require_bearer

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Envelope hops take from under a millisecond (a refusal) to the gateway's read timeout.
HOP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by route and status.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["service", "method", "route"],
    buckets=HOP_BUCKETS,
)
ENVELOPES = Counter(
    "envelope_requests_total",
    "Envelopes answered, by trade code and result code.",
    ["service", "trade_code", "result_code"],
)
HOP_LATENCY = Histogram(
    "envelope_hop_duration_seconds",
    "Time from an envelope's bytes to its signed answer in this service, by trade code.",
    ["service", "trade_code"],
    buckets=HOP_BUCKETS,
)
RELAY_LATENCY = Histogram(
    "gateway_relay_duration_seconds",
    "Time the gateway waited for the next link, by trade code and downstream.",
    ["trade_code", "downstream"],
    buckets=HOP_BUCKETS,
)
NOTIFICATION_ATTEMPTS = Counter(
    "payment_notification_attempts_total",
    "Payment notifications sent to the merchant, by channel and outcome.",
    ["channel", "outcome"],
)
NOTIFICATION_RETRIES = Counter(
    "payment_notification_retries_total",
    "Notification deliveries that were not the first attempt, by channel.",
    ["channel"],
)
RECONCILIATION_DIFFERENCES = Gauge(
    "reconciliation_differences",
    "Differences found by the latest reconciliation run, by kind.",
    ["kind"],
    multiprocess_mode="mostrecent",
)
RECONCILIATION_DIFFERENCES_TOTAL = Counter(
    "reconciliation_differences_found_total",
    "Differences found by every reconciliation run so far, by kind.",
    ["kind"],
)

KNOWN_TRADE_CODE_LENGTH = 4  # anything else is labelled "invalid": bounded label values


def trade_code_label(value: object) -> str:
    """A trade code fit for a label: four digits, else ``invalid`` (attackers pick headers)."""
    code = str(value or "")
    if len(code) == KNOWN_TRADE_CODE_LENGTH and code.isdigit():
        return code
    return "invalid"


def record_envelope(service: str, trade_code: object, result_code: str, seconds: float) -> None:
    """Count one answered envelope and observe its hop latency."""
    code = trade_code_label(trade_code)
    ENVELOPES.labels(service, code, result_code).inc()
    HOP_LATENCY.labels(service, code).observe(seconds)


def envelope_recorder(service: str) -> Callable[[dict[str, Any], str, float], None]:
    """The ``on_result(header, result_code, seconds)`` hook of ``envelope.EnvelopeEndpoint``."""

    def on_result(header: dict[str, Any], result_code: str, seconds: float) -> None:
        record_envelope(service, header.get("trade_code"), result_code, seconds)

    return on_result


def record_relay(trade_code: object, downstream: str, seconds: float) -> None:
    """Observe how long the gateway waited for ``downstream`` to answer one message."""
    RELAY_LATENCY.labels(trade_code_label(trade_code), downstream).observe(seconds)


def record_notification(channel: str, attempt: int, delivered: bool) -> None:
    """Count one delivery attempt (1-based) of a payment notification."""
    NOTIFICATION_ATTEMPTS.labels(channel, "delivered" if delivered else "failed").inc()
    if attempt > 1:
        NOTIFICATION_RETRIES.labels(channel).inc()


def record_reconciliation_differences(kind: str, count: int) -> None:
    """Publish the differences of one reconciliation run of ``kind`` (e.g. ``wechat``)."""
    RECONCILIATION_DIFFERENCES.labels(kind).set(count)
    RECONCILIATION_DIFFERENCES_TOTAL.labels(kind).inc(count)


class RowsByState(Collector):
    """A gauge read on each scrape: rows of ``table`` grouped by ``column`` (saga states)."""

    def __init__(
        self,
        name: str,
        documentation: str,
        sessions: sessionmaker[Session],
        table: str,
        column: str = "state",
    ) -> None:
        if not (table.isidentifier() and column.isidentifier()):
            raise ValueError("table and column must be plain identifiers")
        self.name = name
        self.documentation = documentation
        self.sessions = sessions
        self.query = text(f"SELECT {column}, COUNT(*) FROM {table} GROUP BY {column}")

    def counts(self) -> Mapping[str, int]:
        """The current number of rows in each state."""
        with self.sessions() as session:
            return {str(state): int(count) for state, count in session.execute(self.query)}

    def collect(self) -> Iterable[GaugeMetricFamily]:
        """One sample per state; no samples when the database does not answer."""
        family = GaugeMetricFamily(self.name, self.documentation, labels=["state"])
        try:
            counts = self.counts()
        except Exception:  # a scrape must not fail because the database is away
            counts = {}
        for state, count in sorted(counts.items()):
            family.add_metric([state], count)
        yield family


def scrape(collectors: Iterable[Collector] = ()) -> bytes:
    """The text exposition of every metric: all workers' when in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


class _Default(Collector):
    """The process-wide registry, seen through a fresh one so extra collectors can join."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


def install_metrics(
    app: Flask, service: str, collectors: Iterable[Collector] = (), token: str | None = None
) -> None:
    """Add ``GET /metrics`` and count and time every HTTP request the app answers.

    ``token`` guards /metrics of a service facing the Internet: a scrape must send
    ``Authorization: Bearer <token>`` (else 401), and an empty token serves no /metrics at all
    (404), the rule of servicekit.bearer.
    None leaves /metrics open, for services that only the zone's network reaches."""
    extra = list(collectors)
    if os.environ.get(MULTIPROC_ENV):
        os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        HTTP_REQUESTS.labels(service, request.method, rule, str(response.status_code)).inc()
        if started is not None:
            HTTP_LATENCY.labels(service, request.method, rule).observe(
                time.perf_counter() - started
            )
        return response

    guard = require_bearer(token, "监控令牌", "metrics") if token is not None else None

    @app.get("/metrics")
    def metrics() -> Response:
        refused = guard() if guard is not None else None
        if refused is not None:
            return refused
        return Response(scrape(extra), content_type=CONTENT_TYPE_LATEST)


__all__ = [
    "MULTIPROC_ENV",
    "RowsByState",
    "envelope_recorder",
    "install_metrics",
    "record_envelope",
    "record_notification",
    "record_reconciliation_differences",
    "record_relay",
    "scrape",
    "trade_code_label",
]
