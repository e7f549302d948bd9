"""Reconciliation for operations: the report of a day as JSON or a page, and a run on demand.

Every call needs the operations token (``Authorization: Bearer <OPS_TOKEN>``, or ``?token=``
for the page); an empty token setting turns the endpoints off (404), as servicekit.bearer says."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from cloud_service import reconcile
from cloud_service.api.context import deps
from cloud_service.console.recon import parse_day
from cloud_service.errors import CloudError
from envelope import codes
from servicekit.bearer import require_bearer

PREFIX = "/api/v1/ops/reconciliation"


def blueprint(ops_token: str) -> Blueprint:
    """The operations endpoints, guarded by ``ops_token``."""
    bp = Blueprint("ops_reconciliation", __name__)

    bp.before_request(require_bearer(ops_token, "运维令牌", "operations", query_param="token"))

    @bp.get(f"{PREFIX}/<day>")
    def report(day: str) -> tuple[Response, int]:
        """The stored report of a day (2008 when the day was never reconciled)."""
        found = reconcile.stored_report(deps(), parse_day(day).isoformat())
        if found is None:
            raise CloudError(codes.RECORD_NOT_FOUND, f"{day} was not reconciled yet; POST .../run")
        return jsonify(found), 200

    @bp.post(f"{PREFIX}/<day>/run")
    def run(day: str) -> tuple[Response, int]:
        """Reconcile a day now; {"repair": true} applies the safe repairs."""
        body = request.get_json(silent=True) or {}
        wanted = body.get("repair", False) if isinstance(body, dict) else False
        if not isinstance(wanted, bool):
            raise CloudError(codes.BODY_INVALID, "repair 须为 true 或 false")
        return jsonify(reconcile.reconcile_day(deps(), parse_day(day), repair=wanted)), 200

    @bp.get(f"{PREFIX}/<day>/page")
    def page(day: str) -> Response:
        """The stored report of a day as an HTML page."""
        found = reconcile.stored_report(deps(), parse_day(day).isoformat())
        if found is None:
            raise CloudError(codes.RECORD_NOT_FOUND, f"{day} was not reconciled yet")
        return Response(reconcile.render(found), mimetype="text/html")

    @bp.get("/api/v1/ops/operations")
    def operations() -> tuple[Response, int]:
        """The newest rows of the operations audit (?target=<order_no> for one order)."""
        rows = reconcile.recent_operations(deps(), 200, request.args.get("target"))
        return jsonify(operations=rows), 200

    return bp
