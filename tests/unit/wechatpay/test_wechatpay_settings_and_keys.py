"""Simulator settings and the development key pairs."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from devstack.keys import ensure_dev_keys
from servicekit.config import MissingSetting
from simulators.wechatpay.settings import REAL_NOTIFY_SCHEDULE, SCHEDULE_SETTING, Settings

ENV = {
    "WECHAT_MCHID": "1900000001",
    "WECHAT_APPID": "wx0000000000000001",
    "WECHAT_APIV3_KEY": "dev0apiv3key0000000000000000000a",
    "WECHAT_MERCHANT_SERIAL_NO": "SERIAL",
    "WECHAT_MERCHANT_PUBLIC_KEY_PATH": "var/keys/m.pem",
    "WECHAT_PLATFORM_PRIVATE_KEY_PATH": "var/keys/p.pem",
    "WECHAT_PUBLIC_KEY_ID": "PUB_KEY_ID_1",
    "WECHAT_APP_SECRET": "dev0app0secret",
}


def test_real_schedule_is_fifteen_retries_over_a_day() -> None:
    assert len(REAL_NOTIFY_SCHEDULE) == 15
    assert sum(REAL_NOTIFY_SCHEDULE) == 24 * 3600 + 4 * 60


def parse_schedule(text: str) -> tuple[float, ...]:
    return Settings.from_env({**ENV, SCHEDULE_SETTING: text}).notify_schedule


def test_schedule_setting_compresses_the_retries() -> None:
    assert parse_schedule("0.5, 1,2") == (0.5, 1.0, 2.0)
    assert parse_schedule("") == REAL_NOTIFY_SCHEDULE
    with pytest.raises(MissingSetting):
        parse_schedule("soon")


def test_settings_read_from_env_with_harmless_defaults() -> None:
    settings = Settings.from_env(ENV)
    assert settings.database_url == "sqlite:///var/wechatpay_sim.db"
    assert settings.notify_schedule == REAL_NOTIFY_SCHEDULE
    assert settings.test_users == ("微信用户A", "微信用户B", "微信用户C")
    assert settings.oauth_code_seconds == 300 and settings.other_apps == ()


def test_other_apps_and_test_users_are_read_and_a_malformed_app_refuses_to_start() -> None:
    settings = Settings.from_env(
        {
            **ENV,
            "WECHATPAY_SIM_OTHER_APPS": "wx02:s2, wx03:s3",
            "WECHATPAY_SIM_TEST_USERS": "张三,李四,张三",
        }
    )
    assert settings.other_apps == (("wx02", "s2"), ("wx03", "s3"))
    assert settings.test_users == ("张三", "李四")
    with pytest.raises(MissingSetting, match="WECHATPAY_SIM_OTHER_APPS"):
        Settings.from_env({**ENV, "WECHATPAY_SIM_OTHER_APPS": "wx02"})
    with pytest.raises(MissingSetting, match="WECHAT_APP_SECRET"):
        Settings.from_env({k: v for k, v in ENV.items() if k != "WECHAT_APP_SECRET"})


def test_missing_secret_or_short_apiv3_key_refuses_to_start() -> None:
    with pytest.raises(MissingSetting, match="WECHAT_MCHID"):
        Settings.from_env({k: v for k, v in ENV.items() if k != "WECHAT_MCHID"})
    with pytest.raises(MissingSetting, match="32 bytes"):
        Settings.from_env({**ENV, "WECHAT_APIV3_KEY": "short"})


def test_dev_keys_are_generated_once_as_matching_pairs(tmp_path: Path) -> None:
    absolute = tmp_path / "abs" / "platform_private.pem"
    env = {
        "WECHAT_MERCHANT_PRIVATE_KEY_PATH": "keys/m.pem",
        "WECHAT_MERCHANT_PUBLIC_KEY_PATH": "keys/m_pub.pem",
        "WECHAT_PLATFORM_PRIVATE_KEY_PATH": str(absolute),
        "WECHAT_PUBLIC_KEY_PATH": "keys/p_pub.pem",
    }
    ensure_dev_keys(tmp_path, env)
    private_pem = (tmp_path / "keys/m.pem").read_bytes()
    assert private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    public_key = serialization.load_pem_public_key((tmp_path / "keys/m_pub.pem").read_bytes())
    assert private_key.public_key().public_numbers() == public_key.public_numbers()  # type: ignore[union-attr]
    assert private_key.key_size == 2048  # type: ignore[union-attr]
    assert absolute.exists() and (tmp_path / "keys/p_pub.pem").exists()
    ensure_dev_keys(tmp_path, env)
    assert (tmp_path / "keys/m.pem").read_bytes() == private_pem
