"""Settings of the SMS simulator and of the cloud's SMS client, refused at start-up when
unusable; and the client's phone masking for logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_service.settings import Settings as CloudSettings
from cloud_service.sms import endpoint_of
from devstack.keys import ensure_dev_keys
from servicekit.config import MissingSetting
from servicekit.masking import mask_phone as masked
from simulators.sms.settings import Settings
from tests.conftest import ROOT, dev_env


@pytest.fixture(scope="module")
def cloud_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """deploy/dev.env with the channel key files it names generated in a temporary place."""
    keys = tmp_path_factory.mktemp("keys")
    env = dev_env()
    for key in [k for k in env if k.endswith("_KEY_PATH")]:
        env[key] = str(keys / Path(env[key]).name)
    ensure_dev_keys(ROOT, env)
    env["REDIS_URL"] = "redis://127.0.0.1:1/0"  # read, never dialled
    return env


SIM_ENV = {
    "SMS_ACCESS_KEY_ID": "AK",
    "SMS_ACCESS_KEY_SECRET": "SK",
    "SMS_SIGN_NAME": "示范医院",
    "SMS_TEMPLATE_CODE": "SMS_1",
}


def test_simulator_reads_its_key_names_and_the_vendors_default_flow_control() -> None:
    settings = Settings.from_env(SIM_ENV)
    assert settings.sign_names == ("示范医院",) and settings.template_codes == ("SMS_1",)
    assert (settings.per_minute, settings.per_hour, settings.per_day) == (1, 5, 10)
    assert settings.max_timestamp_skew_seconds == 900


def test_simulator_takes_lists_of_names_and_limits_from_settings() -> None:
    env = {**SIM_ENV, "SMS_SIM_TEMPLATE_CODES": "SMS_1, SMS_2", "SMS_SIM_LIMIT_PER_DAY": "3"}
    settings = Settings.from_env(env)
    assert settings.template_codes == ("SMS_1", "SMS_2") and settings.per_day == 3


@pytest.mark.parametrize("name", sorted(SIM_ENV))
def test_simulator_without_a_required_setting_does_not_start(name: str) -> None:
    with pytest.raises(MissingSetting, match=name):
        Settings.from_env({k: v for k, v in SIM_ENV.items() if k != name})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMS_SIM_LIMIT_PER_MINUTE", "0"),
        ("SMS_SIM_LIMIT_PER_HOUR", "-1"),
        ("SMS_SIM_LIMIT_PER_DAY", "ten"),
        ("SMS_SIM_SIGN_NAMES", "a,,b"),
    ],
)
def test_simulator_refuses_a_nonsense_limit_or_list(name: str, value: str) -> None:
    with pytest.raises(MissingSetting, match=name):
        Settings.from_env({**SIM_ENV, name: value})


@pytest.mark.parametrize(
    "name",
    [
        "SMS_API_URL",
        "SMS_ACCESS_KEY_ID",
        "SMS_ACCESS_KEY_SECRET",
        "SMS_SIGN_NAME",
        "SMS_TEMPLATE_CODE",
    ],
)
def test_cloud_without_an_sms_setting_does_not_start(name: str, cloud_env: dict[str, str]) -> None:
    env = {k: v for k, v in cloud_env.items() if k != name}
    with pytest.raises(MissingSetting, match=name):
        CloudSettings.from_env(env)


@pytest.mark.parametrize(
    "url", ["dysmsapi.aliyuncs.com", "ftp://dysmsapi.aliyuncs.com", "https://h/sms", "https://"]
)
def test_cloud_refuses_an_sms_url_the_client_could_not_use(
    url: str, cloud_env: dict[str, str]
) -> None:
    with pytest.raises(MissingSetting, match="SMS_API_URL"):
        CloudSettings.from_env({**cloud_env, "SMS_API_URL": url})


def test_cloud_reads_the_sms_settings_of_dev_env(cloud_env: dict[str, str]) -> None:
    sms = CloudSettings.from_env({**cloud_env, "SMS_API_URL": "http://127.0.0.1:8700/"}).sms
    assert sms.api_url == "http://127.0.0.1:8700" and sms.template_code == "SMS_000000001"
    assert endpoint_of(sms.api_url) == ("http", "127.0.0.1:8700")
    assert endpoint_of("https://dysmsapi.aliyuncs.com") == ("https", "dysmsapi.aliyuncs.com")


def test_a_phone_in_a_log_line_is_masked() -> None:
    assert masked("13800000001") == "138****0001"
    assert masked("123") == "****"
