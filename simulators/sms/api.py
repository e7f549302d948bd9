"""The one endpoint, ``/`` as at dysmsapi.aliyuncs.com: SendSms by GET (query) or POST
(query and form body), verified and answered as the vendor does; a GET without Action is
the page that lists what was sent."""

from __future__ import annotations

import time

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from servicekit.db import transaction
from simulators.sms import pages, sending
from simulators.sms.models import Fault
from simulators.sms.refusals import PLATFORM, Refused
from simulators.sms.state import answer, current, platform_error

bp = Blueprint("api", __name__)


def request_params() -> dict[str, str]:
    """Query string and form body merged, as the gateway reads them before verifying."""
    params = dict(request.args.items())
    params.update(request.form.items())
    return params


def _take_fault() -> Fault | None:
    with transaction(current().factory) as session:
        fault = session.scalars(select(Fault).where(Fault.remaining > 0).order_by(Fault.id)).first()
        if fault is not None:
            fault.remaining -= 1
        return fault


def _refusal(exc: Refused) -> Response:
    if exc.status == 200:  # business refusals: HTTP 200 with the isv.* code
        return answer(200, {"Code": exc.code, "Message": exc.message})
    return platform_error(exc.status, exc.code, exc.message)


@bp.route("/", methods=["GET", "POST"])
def gateway() -> ResponseReturnValue:
    """Run SendSms; GET / without Action shows the page of messages sent."""
    params = request_params()
    if request.method == "GET" and "Action" not in params:
        return pages.message_page()
    sim = current()
    fault = _take_fault()
    if fault is not None and fault.mode == "error":
        return platform_error(500, "InternalError", PLATFORM["InternalError"][1])
    if fault is not None and fault.mode == "delay":
        time.sleep(fault.seconds)
    try:
        sending.authenticate(sim.settings, sim.factory, request.method, params)
        sent = sending.send(sim.settings, sim.factory, params)
    except Refused as exc:
        return _refusal(exc)
    if fault is not None and fault.mode == "drop":
        time.sleep(fault.seconds)  # the messages are stored; the answer comes too late
    return answer(200, {"Code": "OK", "Message": "OK", "BizId": sent.biz_id})
