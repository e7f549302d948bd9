"""The rest of the patient API through Flask's test client: records, catalogue, bills and
charges, registrations, reports; every path mrn must be bound to the caller."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.unit.cloud_service.answers import DIGEST
from tests.unit.cloud_service.fakes import FakeHospital

ZHANG_WEI = {"id_card_no": "110105198001010016", "name": "张伟"}


def _hospital(app: Flask) -> FakeHospital:
    hospital: FakeHospital = app.extensions["cloud_deps"].hospital
    return hospital


@pytest.fixture()
def bound(client: FlaskClient) -> FlaskClient:
    """A signed-in user who bound 张伟 (mrn M0001)."""
    assert client.post("/api/v1/patients", json=ZHANG_WEI).status_code == 200
    return client


def _refused(answer: Any, code: str, status: int) -> None:
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["result_code"] == code and answer.get_json()["result_msg"]


def test_openapi_covers_every_patient_path(app: Flask) -> None:
    paths = app.test_client().get("/api/v1/docs/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/patients/{mrn}",
        "/api/v1/doctors",
        "/api/v1/schedules/{schedule_id}/slots",
        "/api/v1/registrations/{order_no}/cancel",
        "/api/v1/patients/{mrn}/bills",
        "/api/v1/patients/{mrn}/bills/{bill_no}",
        "/api/v1/charges",
        "/api/v1/patients/{mrn}/reports",
        "/api/v1/patients/{mrn}/reports/{report_id}",
    ):
        assert path in paths, path


def test_records_are_bound_listed_and_unbound(bound: FlaskClient) -> None:
    assert [p["mrn"] for p in bound.get("/api/v1/patients").get_json()["patients"]] == ["M0001"]
    assert bound.delete("/api/v1/patients/M0001").get_json() == {"mrn": "M0001", "unbound": True}
    assert bound.get("/api/v1/patients").get_json()["patients"] == []
    _refused(bound.delete("/api/v1/patients/M0001"), "2011", 409)


def test_catalogue_doctors_schedules_and_live_slots(bound: FlaskClient) -> None:
    doctors = bound.get("/api/v1/doctors", query_string={"dept_code": "D05"}).get_json()
    assert [d["doctor_code"] for d in doctors["doctors"]] == ["DR016"]
    day = "2099-01-01"
    schedules = bound.get("/api/v1/schedules", query_string={"start_date": day, "end_date": day})
    assert {s["remaining"] for s in schedules.get_json()["schedules"]} == {7}
    slots = bound.get("/api/v1/schedules/S1/slots").get_json()
    assert slots["slots"][0]["slot_id"] == "S1-01" and slots["remaining"] == 1
    too_long = {"start_date": "2099-01-01", "end_date": "2099-02-01"}
    _refused(bound.get("/api/v1/schedules", query_string=too_long), "1009", 400)


def test_bills_are_listed_detailed_and_charged_as_one_order(bound: FlaskClient) -> None:
    bills = bound.get("/api/v1/patients/M0001/bills").get_json()
    assert bills["total_fen"] == 1100 and bills["bills_digest"] == DIGEST
    detail = bound.get("/api/v1/patients/M0001/bills/B1").get_json()
    assert detail["items"][0]["insurance_class"] == "B"
    order = bound.post(
        "/api/v1/charges",
        json={
            "mrn": "M0001",
            "bill_nos": [b["bill_no"] for b in bills["bills"]],
            "bills_digest": bills["bills_digest"],
            "pay_mode": "INSURANCE",
            "channel": "WECHAT",
        },
    ).get_json()
    assert order["kind"] == "CHARGE" and order["bill_nos"] == ["B1", "B2"]
    paying = bound.post(f"/api/v1/orders/{order['order_no']}/pay").get_json()
    assert paying["state"] == "AWAITING_PAYMENT" and paying["cash_fen"] == 100


def test_a_stale_bills_digest_is_refused_with_2004(bound: FlaskClient) -> None:
    answer = bound.post(
        "/api/v1/charges",
        json={
            "mrn": "M0001",
            "bill_nos": ["B1", "B2"],
            "bills_digest": "stale",
            "pay_mode": "SELF_PAY",
            "channel": "WECHAT",
        },
    )
    _refused(answer, "2004", 409)


def test_reports_are_listed_and_read_for_a_bound_record(app: Flask, bound: FlaskClient) -> None:
    labs = bound.get("/api/v1/patients/M0001/reports").get_json()["reports"]
    exams = bound.get("/api/v1/patients/M0001/reports", query_string={"kind": "exam"})
    assert labs[0]["report_id"] == "LR1" and exams.get_json()["reports"][0]["kind"] == "EXAM"
    lab = bound.get("/api/v1/patients/M0001/reports/LR1").get_json()["report"]
    assert lab["items"][0]["abnormal_flag"] == "H"
    exam = bound.get("/api/v1/patients/M0001/reports/ER1", query_string={"kind": "exam"})
    assert exam.get_json()["report"]["modality"] == "CT"
    asked = [body for code, body in _hospital(app).calls if code == "5001"]
    assert asked[0]["mrn"] == "M0001" and asked[0]["start_date"] < asked[0]["end_date"]
    _refused(bound.get("/api/v1/patients/M0001/reports", query_string={"kind": "x"}), "1009", 400)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/M0002/reports",
        "/api/v1/patients/M0002/reports/LR1",
        "/api/v1/patients/M0002/bills",
        "/api/v1/patients/M0002/bills/B1",
        "/api/v1/registrations?mrn=M0002",
    ],
)
def test_another_patients_records_are_refused_with_2011_without_asking_the_his(
    app: Flask,
    bound: FlaskClient,
    path: str,
) -> None:
    before = len(_hospital(app).calls)
    _refused(bound.get(path), "2011", 409)
    assert len(_hospital(app).calls) == before


def test_registrations_are_listed_and_an_unpaid_one_cancelled(bound: FlaskClient) -> None:
    order = bound.post(
        "/api/v1/registrations",
        json={"mrn": "M0001", "schedule_id": "S1", "pay_mode": "SELF_PAY", "channel": "WECHAT"},
    ).get_json()
    listed = bound.get("/api/v1/registrations").get_json()["registrations"]
    assert listed[0]["mrn"] == "M0001" and listed[0]["patient_name"] == "张伟"
    cancelled = bound.post(f"/api/v1/registrations/{order['order_no']}/cancel").get_json()
    assert cancelled["state"] == "CANCELLED"
    _refused(bound.post("/api/v1/registrations/R-NONE/cancel"), "2008", 404)
