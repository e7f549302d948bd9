"""The simulator's signing rules against the SDK's, and its settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from alipay import AliPay

from servicekit.config import MissingSetting
from simulators.alipay.settings import REAL_NOTIFY_SCHEDULE, SCHEDULE_SETTING, Settings
from simulators.alipay.signing import (
    Platform,
    SignatureRejected,
    content,
    response_text,
    sign_notification,
    verify_request,
)


def test_content_sorts_and_leaves_out_excluded_and_empty_parameters() -> None:
    params = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "empty": ""}
    assert content(params, exclude=("sign",)) == "a=1&b=2&sign_type=RSA2"
    assert content(params, exclude=("sign", "sign_type")) == "a=1&b=2"


def test_signed_answer_verifies_with_the_sdk_over_the_exact_object_text(
    platform: Platform, sdk: AliPay
) -> None:
    text = response_text(platform, "alipay.trade.close", {"code": "10000", "msg": "Success"})
    assert sdk._verify_and_return_sync_response(text, "alipay_trade_close_response") == {
        "code": "10000",
        "msg": "Success",
    }


def test_notification_sign_verifies_with_the_sdk_and_fails_when_changed(
    platform: Platform, sdk: AliPay
) -> None:
    form = sign_notification(platform, {"out_trade_no": "N1", "total_amount": "1.00"})
    signature = form.pop("sign")
    assert sdk.verify(dict(form), signature)
    assert not sdk.verify({**form, "total_amount": "9.00"}, signature)


def test_request_with_a_wrong_sign_type_is_refused(platform: Platform) -> None:
    params = {
        "app_id": platform.app_id,
        "method": "alipay.trade.query",
        "sign": "AAAA",
        "sign_type": "RSA",
        "timestamp": "2026-01-01 00:00:00",
        "version": "1.0",
    }
    with pytest.raises(SignatureRejected) as refused:
        verify_request(platform, params, 900)
    assert refused.value.sub_code == "isv.invalid-signature-type"


def test_settings_read_the_environment_and_the_compressed_schedule() -> None:
    env = {
        "ALIPAY_APP_ID": "2021000000000001",
        "ALIPAY_APP_PUBLIC_KEY_PATH": "var/keys/alipay_app_public.pem",
        "ALIPAY_PLATFORM_PRIVATE_KEY_PATH": "var/keys/alipay_platform_private.pem",
        "ALIPAY_SIM_NOTIFY_SCHEDULE": "0.1, 0.2",
    }
    settings = Settings.from_env(env)
    assert settings.database_url == "sqlite:///var/alipay_sim.db"
    assert settings.notify_schedule == (0.1, 0.2)
    unset = Settings.from_env({**env, SCHEDULE_SETTING: ""}).notify_schedule
    assert unset == REAL_NOTIFY_SCHEDULE == (240, 600, 600, 3600, 7200, 21600, 54000)
    with pytest.raises(MissingSetting):
        Settings.from_env({})
    with pytest.raises(MissingSetting):
        Settings.from_env({**env, SCHEDULE_SETTING: "soon"})


def test_dev_env_names_the_settings_the_simulator_reads() -> None:
    root = Path(__file__).resolve().parents[3]
    text = (root / "deploy" / "dev.env").read_text(encoding="utf-8")
    for name in ("ALIPAY_APP_ID", "ALIPAY_APP_PUBLIC_KEY_PATH", "ALIPAY_PLATFORM_PRIVATE_KEY_PATH"):
        assert f"\n{name}=" in text
