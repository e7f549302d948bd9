"""The operations console under /console/: staff sign-in with roles (server-side sessions,
cloud_service.web.console_auth), order search and timelines, insurance sign-in evidence,
reconciliation, refunds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from cloud_service import saga
from cloud_service.api.context import deps
from cloud_service.console import ops, recon
from cloud_service.console.staff import StaffUser
from cloud_service.console.timeline import AuditSource, order_timeline
from cloud_service.errors import CloudError, api_status
from cloud_service.web import console_auth, labels
from cloud_service.web.console_auth import csrf_token, require_role
from envelope import clock, codes
from servicekit import money

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
STATES = (
    saga.CREATED,
    saga.PRESETTLED,
    saga.AWAITING_PAYMENT,
    saga.PAID,
    saga.INSURANCE_SETTLED,
    saga.CONFIRMED,
    saga.CANCELLED,
    saga.CLOSED,
    saga.REVERSING,
    saga.REFUNDING,
    saga.REFUNDED,
    saga.PARTIALLY_REFUNDED,
)


@bp.app_template_filter("yuan")
def yuan(fen: int) -> str:
    """Integer fen as a yuan string with two decimals (display only)."""
    return money.fen_to_yuan(int(fen))


bp.add_app_template_filter(labels.label, "zh")
bp.add_app_template_filter(labels.states_in, "zh_states")
bp.add_app_template_filter(labels.audit_detail, "zh_audit")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Staff sign-in: CSRF, a limit per address, a lock per name, one answer for all."""
    return console_auth.sign_in()


@bp.post("/logout")
def logout() -> Any:
    """Sign out: the server forgets the session, so its cookie is dead at once."""
    return console_auth.sign_out()


@bp.get("/")
@require_role("VIEWER")
def home(staff: StaffUser) -> BaseResponse:
    """The console starts at the order search."""
    return redirect(url_for("console.orders"))


@bp.get("/orders")
@require_role("VIEWER")
def orders(staff: StaffUser) -> Any:
    """Search orders by number, record, state and day."""
    query = ops.OrderQuery(
        order_no=request.args.get("order_no", "").strip(),
        mrn=request.args.get("mrn", "").strip(),
        state=request.args.get("state", "").strip(),
        day=request.args.get("day", "").strip(),
    )
    error, found = "", []
    try:
        found = ops.search_orders(deps(), query)
    except CloudError as exc:
        error = exc.result_msg
    return render_template(
        "console/orders.html", staff=staff, query=query, orders=found, states=STATES, error=error
    )


@bp.get("/orders/<order_no>")
@require_role("VIEWER")
def order(staff: StaffUser, order_no: str) -> Any:
    """One order with its timeline across the zones."""
    return _order_page(staff, order_no)


def _order_page(staff: StaffUser, order_no: str, message: str = "", error: str = "") -> Any:
    audit: AuditSource = current_app.extensions["console_audit"]
    try:
        view = order_timeline(deps(), order_no, audit)
    except CloudError as exc:
        return render_template("console/missing.html", staff=staff, error=exc.result_msg), 404
    page = render_template(
        "console/order.html", staff=staff, csrf=csrf_token(), message=message, error=error, **view
    )
    return page, 409 if error else 200


@bp.post("/orders/<order_no>/window-refund")
@require_role("OPERATOR")
def window_refund(staff: StaffUser, order_no: str) -> Any:
    """Record a refund made at the hospital window (audited)."""
    try:
        amount_fen = ops.yuan_to_fen(request.form.get("amount_yuan", ""))
        refund_no = request.form.get("refund_no", "").strip()
        if not refund_no:
            raise CloudError(codes.BODY_INVALID, "请填写窗口退费单号")
        state = ops.record_window_refund(
            deps(), staff.name, order_no, amount_fen, refund_no, request.form.get("reason", "")
        )
    except CloudError as exc:
        return _order_page(staff, order_no, error=f"{exc.result_msg}（{exc.result_code}）")
    done = "已登记窗口退费，订单已全部退费" if state == saga.REFUNDED else "已登记部分窗口退费"
    return _order_page(staff, order_no, message=done)


@bp.get("/insurance")
@require_role("VIEWER")
def insurance(staff: StaffUser) -> Any:
    """What the cloud knows of the insurance sign-in, from its own order history."""
    return render_template("console/insurance.html", staff=staff, **ops.insurance_signals(deps()))


@bp.get("/reconciliation")
@require_role("VIEWER")
def reconciliation(staff: StaffUser) -> Any:
    """The reconciliation page of a day; its script reads reconciliation_data."""
    day = request.args.get("date") or (clock.today() - timedelta(days=1)).isoformat()
    return render_template("console/reconciliation.html", staff=staff, day=day, csrf=csrf_token())


@bp.get("/reconciliation/<day>.json")
@require_role("VIEWER")
def reconciliation_data(staff: StaffUser, day: str) -> Any:
    """The day's report and a week of daily totals (503 when reconciliation is absent)."""
    try:
        return jsonify(recon.console_report(deps(), recon.parse_day(day)))
    except CloudError as exc:
        return _refusal(exc)


@bp.post("/reconciliation/<day>/run")
@require_role("OPERATOR")
def reconciliation_run(staff: StaffUser, day: str) -> Any:
    """Reconcile the day now; with repair, apply the safe repairs (audited under staff)."""
    body = request.get_json(silent=True) or {}
    repair = body.get("repair") is True if isinstance(body, dict) else False
    try:
        return jsonify(recon.run(deps(), staff.name, recon.parse_day(day), repair))
    except CloudError as exc:
        return _refusal(exc)


@bp.post("/reconciliation/<day>/repair")
@require_role("OPERATOR")
def reconciliation_repair(staff: StaffUser, day: str) -> Any:
    """Repair one listed difference by its rule (audited under staff)."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    try:
        return jsonify(
            recon.repair_item(
                deps(),
                staff.name,
                recon.parse_day(day),
                str(body.get("order_no") or ""),
                str(body.get("kind") or ""),
            )
        )
    except CloudError as exc:
        return _refusal(exc)


def _refusal(exc: CloudError) -> Any:
    status = 503 if exc.result_code == codes.PEER_UNAVAILABLE else api_status(exc.result_code)
    return jsonify(result_code=exc.result_code, result_msg=exc.result_msg), status
