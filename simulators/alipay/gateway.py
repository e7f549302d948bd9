"""The one endpoint, /gateway.do: every request verified with the app public key (RSA2),
every synchronous answer signed with the platform key, browser methods sent on to the
cashier."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request
from flask.typing import ResponseReturnValue

from simulators.alipay import methods
from simulators.alipay.admin import take_fault
from simulators.alipay.signing import SignatureRejected, response_text, verify_request
from simulators.alipay.state import Simulator, current
from simulators.alipay.trades import TradeError

bp = Blueprint("gateway", __name__, template_folder="templates")
# Refusals for which there is no app, so no key pair to sign the answer with.
NO_KEY = ("isv.invalid-app-id", "isv.missing-app-id")
UNAVAILABLE = {
    "code": "20000",
    "msg": "Service Currently Unavailable",
    "sub_code": "isp.unknow-error",
    "sub_msg": "系统繁忙",
}


def request_params() -> dict[str, str]:
    """Query string and form body merged, as the gateway reads them before verifying."""
    params = dict(request.args.items())
    params.update(request.form.items())
    return params


def answer(sim: Simulator, method: str, payload: dict[str, Any], signed: bool = True) -> Response:
    """The JSON answer ``{"<method>_response": {...}, "sign": "..."}`` (unsigned if asked);
    a refusal of alipay.system.oauth.token comes as ``error_response``, as Alipay's does."""
    key = method if method in methods.HANDLERS else ""
    if method in methods.ERROR_RESPONSE and payload.get("code") != "10000":
        key = ""
    text = response_text(sim.platform if signed else None, key, payload)
    return Response(
        text, mimetype="application/json", content_type="application/json;charset=utf-8"
    )


def _biz_content(params: dict[str, str]) -> dict[str, Any]:
    try:
        biz = json.loads(params.get("biz_content") or "{}")
    except ValueError:
        biz = None
    if not isinstance(biz, dict):
        raise TradeError("isv.invalid-parameter", "biz_content不是合法的JSON对象", code="40002")
    return biz


def _refusal(exc: SignatureRejected | TradeError) -> dict[str, str]:
    msg = exc.msg if isinstance(exc, SignatureRejected) else "Business Failed"
    if isinstance(exc, TradeError) and exc.code == "40002":
        msg = "Invalid Arguments"
    return {"code": exc.code, "msg": msg, "sub_code": exc.sub_code, "sub_msg": exc.sub_msg}


def _verify(sim: Simulator, params: dict[str, str]) -> None:
    verify_request(sim.platform, params, sim.settings.max_timestamp_skew_seconds)
    method = params["method"]
    if method not in methods.HANDLERS and method not in methods.BROWSER:
        raise SignatureRejected(
            "40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名"
        )


def _browser(sim: Simulator, params: dict[str, str]) -> ResponseReturnValue:
    method = params.get("method", "")
    try:
        _verify(sim, params)
        url = methods.BROWSER[method](sim, params, _biz_content(params))
    except (SignatureRejected, TradeError) as exc:
        return render_template("alipay_error.html", error=_refusal(exc)), 400
    return redirect(url, code=302)


@bp.route("/gateway.do", methods=["GET", "POST"])
def gateway() -> ResponseReturnValue:
    """Verify the request, run its method and answer as the real gateway does."""
    sim = current()
    params = request_params()
    method = params.get("method", "")
    if method in methods.BROWSER:
        return _browser(sim, params)
    fault = take_fault(sim, method)
    if fault is not None and fault.mode == "error":
        return answer(sim, method, UNAVAILABLE)
    if fault is not None and fault.mode == "delay":
        time.sleep(fault.seconds)
    try:
        _verify(sim, params)
        fields = methods.HANDLERS[method](sim, params, _biz_content(params))
        payload: dict[str, Any] = {"code": "10000", "msg": "Success", **fields}
    except SignatureRejected as exc:
        return answer(sim, method, _refusal(exc), signed=exc.sub_code not in NO_KEY)
    except TradeError as exc:
        payload = _refusal(exc)
    if fault is not None and fault.mode == "drop":
        time.sleep(fault.seconds)  # the work is committed; the answer comes too late
    return answer(sim, method, payload)
