"""The attacks of issue 14 against the running stack (real gunicorn processes): deep nesting
and lone surrogates at the gateway and the patient API are refused with 1001, an unknown
URL is 404 with 1010, and no log file then holds the ID number or the name sent."""

from __future__ import annotations

import requests

from devstack.stack import Stack

ID_NUMBER, NAME = "110105198001010016", "张伟"
DEEP = b"[" * 100_000


def _post(url: str, data: bytes) -> requests.Response:
    return requests.post(
        url, data=data, timeout=10, headers={"Content-Type": "application/json; charset=utf-8"}
    )


def test_deep_nesting_and_lone_surrogates_are_1001_and_leave_no_name_in_the_logs(
    stack: Stack,
) -> None:
    gateway, cloud = stack.env["GATEWAY_URL"], stack.url("cloud_service")
    surrogate = f'{{"id_card_no":"{ID_NUMBER}","name":"{NAME}\\udc80"}}'.encode()
    for url, data in (
        (gateway, b"[" * 1_000 + b"]" * 1_000),
        (gateway, b'{"header":{},"body":' + DEEP + b"}"),
        (gateway, b'{"header":{"trace_id":"\\udc80"},"body":' + surrogate + b"}"),
        (gateway, b'{"header":{},"body":{"name":"\xed\xb2\x80"}}'),
        (f"{cloud}/api/v1/patients", surrogate),
        (f"{cloud}/api/v1/patients", b'{"name":' + b"[" * 1_000 + b"]" * 1_000 + b"}"),
        (f"{cloud}/envelope", b'{"header":{},"body":' + b"{" * 1_000 + b"}"),
    ):
        answer = _post(url, data)
        assert answer.status_code in (400, 401), (url, answer.status_code, answer.text[:200])
        found = answer.json()
        code = found["header"]["result_code"] if "header" in found else found["result_code"]
        assert code in ("1001", "1003"), (url, found)
    unknown = requests.get(f"{cloud}/no/such/place", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["result_code"] == "1010"
    for log in (stack.var_dir / "logs").glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert ID_NUMBER not in text and NAME not in text, log.name
