"""The cloud's SMS sender (the vendor's official client) against the simulator on a real
socket: what it sends verifies, and each refusal and fault is the right exception."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from cloud_service.deps import SmsSender
from cloud_service.settings import SmsSettings
from cloud_service.sms import AliyunSmsSender, SmsOutcomeUnknown, SmsRejected, SmsUnavailable
from tests.integration.sms_gateway.conftest import (
    ACCESS_KEY_ID,
    PHONE,
    SECRET,
    SIGN_NAME,
    TEMPLATE,
)

QUICK = (1.0, 1.0)  # connect, read: a dropped answer shows in a second


def _sender(url: str, **changes: str) -> AliyunSmsSender:
    fields = {
        "api_url": url,
        "access_key_id": ACCESS_KEY_ID,
        "access_key_secret": SECRET,
        "sign_name": SIGN_NAME,
        "template_code": TEMPLATE,
        **changes,
    }
    return AliyunSmsSender(SmsSettings(**fields), timeout=QUICK)


def _listed(url: str, phone: str = PHONE) -> list[dict[str, Any]]:
    answer = requests.get(f"{url}/admin/messages", params={"phone": phone}, timeout=5)
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return messages


def _fault(url: str, **fault: object) -> None:
    assert requests.post(f"{url}/sim/faults", json=fault, timeout=5).status_code == 201


def test_a_code_sent_by_the_official_client_verifies_and_is_listed(served: str) -> None:
    sender: SmsSender = _sender(served)
    sender.send_code(PHONE, "042917")
    [message] = _listed(served)
    assert message["params"] == {"code": "042917"} and message["template_code"] == TEMPLATE


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"access_key_secret": "not-the-secret"}, "SignatureDoesNotMatch"),
        ({"access_key_id": "LTAI0UNKNOWN"}, "InvalidAccessKeyId.NotFound"),
        ({"template_code": "SMS_999999999"}, "isv.SMS_TEMPLATE_ILLEGAL"),
        ({"sign_name": "别家医院"}, "isv.SMS_SIGNATURE_ILLEGAL"),
    ],
)
def test_a_refusal_is_sms_rejected_with_the_vendors_code_and_sends_nothing(
    served: str, changes: dict[str, str], code: str
) -> None:
    with pytest.raises(SmsRejected) as refused:
        _sender(served, **changes).send_code(PHONE, "042917")
    assert refused.value.code == code and refused.value.message
    assert _listed(served) == []


def test_a_bad_phone_is_rejected(served: str) -> None:
    with pytest.raises(SmsRejected) as refused:
        _sender(served).send_code("1380000", "042917")
    assert refused.value.code == "isv.MOBILE_NUMBER_ILLEGAL"


def test_flow_control_is_rejected_with_business_limit_control(served: str) -> None:
    sender = _sender(served)
    sender.send_code(PHONE, "111111")
    with pytest.raises(SmsRejected) as refused:
        sender.send_code(PHONE, "222222")
    assert refused.value.code == "isv.BUSINESS_LIMIT_CONTROL" and refused.value.status == 200
    assert len(_listed(served)) == 1


def test_an_error_fault_is_outcome_unknown(served: str) -> None:
    _fault(served, mode="error")
    with pytest.raises(SmsOutcomeUnknown):
        _sender(served).send_code(PHONE, "042917")
    assert _listed(served) == []


def test_a_dropped_answer_is_outcome_unknown_and_the_code_went_out_once(served: str) -> None:
    _fault(served, mode="drop", seconds=2.0)
    with pytest.raises(SmsOutcomeUnknown):
        _sender(served).send_code(PHONE, "042917")
    assert len(_listed(served)) == 1  # sent, and the client did not retry


@pytest.mark.parametrize(("seconds", "fails"), [(0.3, False), (2.0, True)])
def test_a_delay_within_the_timeout_passes_and_beyond_it_is_outcome_unknown(
    served: str, seconds: float, fails: bool
) -> None:
    _fault(served, mode="delay", seconds=seconds)
    send: Callable[[], None] = lambda: _sender(served).send_code(PHONE, "042917")  # noqa: E731
    if fails:
        with pytest.raises(SmsOutcomeUnknown):
            send()
    else:
        send()
        assert len(_listed(served)) == 1


def test_a_gateway_nobody_listens_on_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SmsUnavailable):
        _sender(f"http://127.0.0.1:{port}").send_code(PHONE, "042917")


def test_an_answer_that_is_not_the_gateways_json_is_outcome_unknown() -> None:
    proxy = Response("<html>502 Bad Gateway</html>", status=502, mimetype="text/html")
    server = make_server("127.0.0.1", 0, proxy, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with pytest.raises(SmsOutcomeUnknown):
            _sender(f"http://127.0.0.1:{server.server_port}").send_code(PHONE, "042917")
    finally:
        server.shutdown()
