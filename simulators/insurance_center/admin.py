"""Endpoints for tests and demos: look at persons and settlements, inject faults."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from simulators.faults import FAULT_MODES
from simulators.insurance_center.store import Docs
from simulators.insurance_center.wire import yuan


def _person_view(person: dict[str, Any]) -> dict[str, Any]:
    return {**person, "balc": yuan(person["balc_fen"])}


def _settlement_view(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "split_yuan": {k: yuan(v) for k, v in record["split"].items()}}


def _fault_spec(spec: Any) -> dict[str, Any] | None:
    """A fault from a request body: delay (sleep, then answer), error (infcode -1), or drop
    (commit, then answer too late for the caller) for the next ``count`` messages of infno."""
    if not isinstance(spec, dict) or spec.get("mode") not in FAULT_MODES:
        return None
    infno = str(spec.get("infno", ""))
    try:
        seconds, count = float(spec.get("seconds", 5)), int(spec.get("count", 1))
    except (TypeError, ValueError):
        return None
    if len(infno) != 4 or not infno.isdigit() or not 0 <= seconds <= 120 or count < 1:
        return None
    return {"infno": infno, "mode": spec["mode"], "seconds": seconds, "count": count}


def admin_blueprint(factory: sessionmaker[Session]) -> Blueprint:
    """GET /sim/persons/<psn_no>, GET /sim/settlements, GET, POST and DELETE /sim/faults."""
    bp = Blueprint("center_admin", __name__)

    @bp.get("/sim/persons/<psn_no>")
    def person(psn_no: str) -> tuple[Response, int]:
        with transaction(factory) as session:
            found = Docs(session).get("person", psn_no)
        if found is None:
            return jsonify(error="no such person"), 404
        return jsonify(_person_view(found)), 200

    @bp.get("/sim/settlements")
    def settlements() -> Response:
        psn_no, setl_id = request.args.get("psn_no"), request.args.get("setl_id")
        with transaction(factory) as session:
            rows = Docs(session).all("setl")
        rows = [
            r
            for r in rows
            if (not psn_no or r["psn_no"] == psn_no) and (not setl_id or r["setl_id"] == setl_id)
        ]
        return jsonify(settlements=[_settlement_view(r) for r in rows])

    @bp.post("/sim/faults")
    def add_fault() -> tuple[Response, int]:
        fault = _fault_spec(request.get_json(silent=True))
        if fault is None:
            return jsonify(
                error="need infno, mode (delay, error, drop), seconds >= 0, count >= 1"
            ), 400
        with transaction(factory) as session:
            Docs(session).put("fault", fault["infno"], fault)
        return jsonify(fault), 201

    @bp.get("/sim/faults")
    def list_faults() -> Response:
        with transaction(factory) as session:
            return jsonify(faults=Docs(session).all("fault"))

    @bp.delete("/sim/faults")
    def clear_faults() -> Response:
        with transaction(factory) as session:
            Docs(session).drop("fault")
        return jsonify(cleared=True)

    return bp
