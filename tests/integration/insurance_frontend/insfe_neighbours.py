"""Neighbours of insurance_frontend for its integration tests: the insurance center simulator
and a fake integration_platform, each a real HTTP server on a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from envelope import HIP, INSFE, EnvelopeEndpoint, Incoming, KeyRing, Link, MemoryNonceStore
from envelope.codes import PATIENT_NOT_FOUND, RECORD_NOT_FOUND, EnvelopeError
from envelope.verify import Verifier
from simulators.insurance_center import CALL_SERVICE_PATH
from simulators.insurance_center import Settings as CenterSettings
from simulators.insurance_center import create_app as create_center

FIXMEDINS_CODE = "H11010500001"
PAAS_ID, PAAS_TOKEN = "paas-test", "paas-token-test"
INSFE_RING = KeyRing.from_settings("INSFE", "insfe-t1", "insfe-test-secret")
INSFE_HIP_RING = KeyRing.from_settings("INSFE_HIP", "ih-t1", "insfe-hip-test-secret")

PATIENTS = {
    "M-ZW": ("110105198001010016", "张伟"),
    "M-WQ": ("440304197503200035", "王强"),
}
REG_ITEMS: list[dict[str, Any]] = [
    {
        "item_code": "REG01",
        "name": "挂号费",
        "spec": "",
        "qty": 1,
        "unit_price": 500,
        "amount": 500,
        "insurance_class": "A",
        "list_code": "001102000010000",
    },
    {
        "item_code": "DIAG01",
        "name": "诊查费",
        "spec": "",
        "qty": 1,
        "unit_price": 2000,
        "amount": 2000,
        "insurance_class": "B",
        "list_code": "001102000020000",
    },
    {
        "item_code": "CARD01",
        "name": "病历本",
        "spec": "",
        "qty": 1,
        "unit_price": 300,
        "amount": 300,
        "insurance_class": "C",
        "list_code": "SELF0001",
    },
]


@contextmanager
def serving(app: Flask, port: int = 0) -> Iterator[str]:
    """Serve an app on 127.0.0.1 in a thread; yield its base URL."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def center_app(tmp_path: Path) -> Flask:
    """The insurance center simulator with its own SQLite file."""
    return create_center(
        CenterSettings(
            paas_id=PAAS_ID,
            paas_token=PAAS_TOKEN,
            fixmedins_code=FIXMEDINS_CODE,
            database_url=f"sqlite:///{tmp_path / 'center.db'}",
        )
    )


def center_url(base: str) -> str:
    """The callService address of a served center."""
    return base + CALL_SERVICE_PATH


class FakeHis:
    """integration_platform's 1003 and 2010, from dictionaries a test may change."""

    def __init__(self) -> None:
        self.registrations: dict[str, dict[str, Any]] = {}

    def lock(self, order_no: str, mrn: str, items: list[dict[str, Any]] | None = None) -> str:
        """Add a LOCKED registration and return its lock_id."""
        items = items if items is not None else REG_ITEMS
        total = sum(item["amount"] for item in items)
        self.registrations[order_no] = {
            "status": "LOCKED",
            "lock_id": f"L-{order_no}",
            "mrn": mrn,
            "schedule_id": "S1",
            "visit_date": "2026-11-26",
            "items": items,
            "fees": {"reg_fee": 500, "diag_fee": total - 500, "total": total},
        }
        return f"L-{order_no}"

    def patient(self, incoming: Incoming) -> dict[str, Any]:
        """1003."""
        found = PATIENTS.get(incoming.body["mrn"])
        if found is None:
            raise EnvelopeError(PATIENT_NOT_FOUND)
        return {
            "mrn": incoming.body["mrn"],
            "id_card_no": found[0],
            "name": found[1],
            "patient_type": "EMPLOYEE",
        }

    def registration(self, incoming: Incoming) -> dict[str, Any]:
        """2010."""
        found = self.registrations.get(incoming.body["order_no"])
        if found is None:
            raise EnvelopeError(RECORD_NOT_FOUND)
        return found

    def app(self) -> Flask:
        """A Flask app answering envelopes on the INSFE_HIP link."""
        verifier = Verifier([Link(INSFE_HIP_RING, frozenset({INSFE}))], MemoryNonceStore())
        endpoint = EnvelopeEndpoint(
            HIP, verifier, {"1003": self.patient, "2010": self.registration}
        )
        app = Flask("fake_hip")
        app.register_blueprint(endpoint.blueprint())
        return app
