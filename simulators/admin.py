"""The fault-injection endpoints every simulator has: POST, GET and DELETE /sim/faults, one
blueprint over each simulator's own store of faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from simulators.faults import fault_fields


class FaultStore(Protocol):
    """Where one simulator keeps its injected faults."""

    # what DELETE answers with 200; None answers 204 with no body
    cleared_answer: dict[str, Any] | None

    def add(self, body: Any) -> dict[str, Any]:
        """Store the fault a request body asks for (abort with 400 on a bad one); it as JSON."""
        ...

    def listed(self) -> list[dict[str, Any]]:
        """The faults still waiting for a call."""
        ...

    def clear(self) -> None:
        """Remove every injected fault."""
        ...


def columns(row: Any) -> dict[str, Any]:
    """A stored row as a JSON object of its columns."""
    return {column.name: getattr(row, column.name) for column in row.__table__.columns}


def no_extra_fields(body: dict[str, Any]) -> dict[str, Any]:
    """A channel whose faults match every call has no fields of its own."""
    return {}


class ModelFaults:
    """Faults as rows of a model with ``mode``, ``seconds`` and ``remaining``, plus the
    channel's own fields taken from the body by ``own_fields`` (such as the path they match)."""

    cleared_answer: dict[str, Any] | None = None

    def __init__(
        self,
        factory: sessionmaker[Session],
        model: Any,
        own_fields: Callable[[dict[str, Any]], dict[str, Any]] = no_extra_fields,
    ) -> None:
        self.factory = factory
        self.model = model
        self.own_fields = own_fields

    def add(self, body: Any) -> dict[str, Any]:
        """A fault checked by ``fault_fields`` (a bad one is a 400), stored."""
        fields = fault_fields(body)  # checked first: a body that is no object is a 400
        fault = self.model(**self.own_fields(body), **fields)
        with transaction(self.factory) as session:
            session.add(fault)
        return columns(fault)

    def listed(self) -> list[dict[str, Any]]:
        """The faults with calls remaining, oldest first."""
        model = self.model
        with self.factory() as session:
            query = select(model).where(model.remaining > 0).order_by(model.id)
            return [columns(fault) for fault in session.scalars(query)]

    def clear(self) -> None:
        """Delete every fault row."""
        with transaction(self.factory) as session:
            session.execute(delete(self.model))


def fault_blueprint(store: FaultStore) -> Blueprint:
    """POST /sim/faults (inject), GET /sim/faults (list), DELETE /sim/faults (clear)."""
    bp = Blueprint("faults", __name__, url_prefix="/sim")

    @bp.post("/faults")
    def add_fault() -> tuple[Response, int]:
        return jsonify(store.add(request.get_json(silent=True))), 201

    @bp.get("/faults")
    def list_faults() -> Response:
        return jsonify(faults=store.listed())

    @bp.delete("/faults")
    def clear_faults() -> tuple[Response | str, int]:
        store.clear()
        if store.cleared_answer is None:
            return "", 204
        return jsonify(store.cleared_answer), 200

    return bp
