"""The service-window settings: the cloud's ALIPAY_OAUTH_URL defaults to Alipay's own page
and the bridge script to none, build_deps hands both to the channel; the simulator reads
its further apps and test users, refusing a malformed entry at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_service import build_deps
from cloud_service.settings import Settings
from devstack.keys import ensure_dev_keys
from devstack.stack import ROOT, read_env_file
from servicekit.config import MissingSetting
from simulators.alipay.settings import DEFAULT_USERS
from simulators.alipay.settings import Settings as SimSettings

WINDOW_NAMES = ("ALIPAY_OAUTH_URL", "ALIPAY_JSBRIDGE_SCRIPT_URL")
SIM_ENV = {
    "ALIPAY_APP_ID": "2021000000000001",
    "ALIPAY_APP_PUBLIC_KEY_PATH": "var/keys/alipay_app_public.pem",
    "ALIPAY_PLATFORM_PRIVATE_KEY_PATH": "var/keys/alipay_platform_private.pem",
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """deploy/dev.env with its key files under tmp_path."""
    values = read_env_file(ROOT / "deploy" / "dev.env")
    for key in list(values):
        if key.endswith("_KEY_PATH"):
            values[key] = str(tmp_path / "keys" / Path(values[key]).name)
    ensure_dev_keys(ROOT, values)
    values.update(REDIS_URL="redis://127.0.0.1:9/0", DATABASE_URL="sqlite://")
    return values


def test_oauth_url_defaults_to_alipays_page_and_there_is_no_bridge_script(
    env: dict[str, str],
) -> None:
    alipay = Settings.from_env({k: v for k, v in env.items() if k not in WINDOW_NAMES}).alipay
    assert alipay.oauth_url == "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm"
    assert alipay.jsbridge_script_url == ""


def test_development_settings_point_at_the_simulator_and_reach_the_channel(
    env: dict[str, str],
) -> None:
    settings = Settings.from_env(env)
    channel = build_deps(settings).channels["ALIPAY"]
    url = channel.authorize_url("http://127.0.0.1:8000/h5/cb", "s1")  # type: ignore[attr-defined]
    assert url.startswith("http://127.0.0.1:8600/oauth2/publicAppAuthorize.htm?app_id=2021")
    assert "scope=auth_base" in url and "state=s1" in url
    assert channel.jsbridge_script_url == "http://127.0.0.1:8600/jsbridge.js"  # type: ignore[attr-defined]


def test_simulator_reads_further_apps_and_test_users() -> None:
    settings = SimSettings.from_env(
        {
            **SIM_ENV,
            "ALIPAY_SIM_OTHER_APPS": "2021000000000002=keys/b.pem, 2021000000000003=keys/c.pem",
            "ALIPAY_SIM_USERS": "甲, 乙",
        }
    )
    assert settings.other_apps == (
        ("2021000000000002", "keys/b.pem"),
        ("2021000000000003", "keys/c.pem"),
    )
    assert settings.users == ("甲", "乙") and settings.auth_code_seconds == 300
    plain = SimSettings.from_env(SIM_ENV)
    assert plain.other_apps == () and plain.users == DEFAULT_USERS


@pytest.mark.parametrize("entry", ["2021000000000002", "=keys/b.pem", "2021000000000002="])
def test_simulator_refuses_a_malformed_further_app(entry: str) -> None:
    with pytest.raises(MissingSetting, match="ALIPAY_SIM_OTHER_APPS"):
        SimSettings.from_env({**SIM_ENV, "ALIPAY_SIM_OTHER_APPS": entry})


@pytest.mark.parametrize("seconds", ["0", "-300", "soon"])
def test_simulator_refuses_an_auth_code_lifetime_that_is_no_time(seconds: str) -> None:
    with pytest.raises(MissingSetting, match="ALIPAY_SIM_AUTH_CODE_SECONDS"):
        SimSettings.from_env({**SIM_ENV, "ALIPAY_SIM_AUTH_CODE_SECONDS": seconds})
