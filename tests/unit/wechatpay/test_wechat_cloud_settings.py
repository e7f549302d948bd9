"""The cloud's WeChat sign-in settings: the AppSecret is required like the other secrets,
the OAuth addresses default to WeChat's own, and build_deps hands them to the channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_service import build_deps
from cloud_service.settings import Settings
from devstack.keys import ensure_dev_keys
from devstack.stack import ROOT, read_env_file
from servicekit.config import MissingSetting

OAUTH_NAMES = ("WECHAT_OAUTH_URL", "WECHAT_OAUTH_API_URL", "WECHAT_JSBRIDGE_SCRIPT_URL")


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


def test_without_the_app_secret_the_cloud_refuses_to_start(env: dict[str, str]) -> None:
    with pytest.raises(MissingSetting, match="WECHAT_APP_SECRET"):
        Settings.from_env({**env, "WECHAT_APP_SECRET": ""})


def test_oauth_addresses_default_to_wechats_and_there_is_no_bridge_script(
    env: dict[str, str],
) -> None:
    wechat = Settings.from_env({k: v for k, v in env.items() if k not in OAUTH_NAMES}).wechat
    assert wechat.oauth_url == "https://open.weixin.qq.com"
    assert wechat.oauth_api_url == "https://api.weixin.qq.com"
    assert wechat.jsbridge_script_url == ""


def test_development_settings_point_at_the_simulator_and_reach_the_channel(
    env: dict[str, str],
) -> None:
    settings = Settings.from_env(env)
    assert settings.wechat.jsbridge_script_url == "http://127.0.0.1:8500/jsbridge.js"
    channel = build_deps(settings).channels["WECHAT"]
    url = channel.authorize_url("http://127.0.0.1:8000/h5/cb", "s1")  # type: ignore[attr-defined]
    assert url.startswith("http://127.0.0.1:8500/connect/oauth2/authorize?appid=wx")
    assert channel._oauth.oauth_api_url == "http://127.0.0.1:8500"  # type: ignore[attr-defined]
    assert settings.wechat.app_secret not in url
