"""make run's SMS gateway: the simulator under gunicorn with deploy/dev.env's key, and the
cloud's sender (the vendor's official client) configured as the stack configures it."""

from __future__ import annotations

import pytest
import requests

from cloud_service.settings import SmsSettings
from cloud_service.sms import AliyunSmsSender, SmsRejected
from devstack.stack import ROOT, Stack, read_env_file

PHONE = "13800000077"


def _sender(stack: Stack, **changes: str) -> AliyunSmsSender:
    env = read_env_file(ROOT / "deploy" / "dev.env")
    fields = {
        "api_url": stack.url("sms"),
        "access_key_id": env["SMS_ACCESS_KEY_ID"],
        "access_key_secret": env["SMS_ACCESS_KEY_SECRET"],
        "sign_name": env["SMS_SIGN_NAME"],
        "template_code": env["SMS_TEMPLATE_CODE"],
        **changes,
    }
    return AliyunSmsSender(SmsSettings(**fields))


def test_a_code_sent_with_dev_env_settings_is_listed_and_shown_on_the_page(stack: Stack) -> None:
    _sender(stack).send_code(PHONE, "318204")
    listing = requests.get(f"{stack.url('sms')}/admin/messages", params={"phone": PHONE}, timeout=5)
    assert [m["params"]["code"] for m in listing.json()["messages"]] == ["318204"]
    page = requests.get(f"{stack.url('sms')}/", params={"phone": PHONE}, timeout=5)
    assert page.status_code == 200 and "您的验证码为318204" in page.text


def test_a_sender_with_a_wrong_secret_is_refused_by_the_stacks_simulator(stack: Stack) -> None:
    with pytest.raises(SmsRejected) as refused:
        _sender(stack, access_key_secret="not-the-dev-secret").send_code("13800000078", "1")
    assert refused.value.code == "SignatureDoesNotMatch"
