"""Endpoints for tests and demos: look at persons and settlements, inject faults."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, make_response, request
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from simulators.admin import fault_blueprint
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


class CenterFaults:
    """The center's faults, one per infno, kept with its documents."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.cleared_answer: dict[str, Any] | None = {"cleared": True}

    def add(self, body: Any) -> dict[str, Any]:
        """The fault for an infno (replacing the one before); a bad one is a JSON 400."""
        fault = _fault_spec(body)
        if fault is None:
            error = "need infno, mode (delay, error, drop), seconds >= 0, count >= 1"
            abort(make_response(jsonify(error=error), 400))
        with transaction(self.factory) as session:
            Docs(session).put("fault", fault["infno"], fault)
        return fault

    def listed(self) -> list[dict[str, Any]]:
        """Every stored fault."""
        with transaction(self.factory) as session:
            return Docs(session).all("fault")

    def clear(self) -> None:
        """Drop every fault."""
        with transaction(self.factory) as session:
            Docs(session).drop("fault")


def faults_blueprint(factory: sessionmaker[Session]) -> Blueprint:
    """GET, POST and DELETE /sim/faults, by infno."""
    return fault_blueprint(CenterFaults(factory))


def admin_blueprint(factory: sessionmaker[Session]) -> Blueprint:
    """GET /sim/persons/<psn_no> and GET /sim/settlements."""
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

    return bp
