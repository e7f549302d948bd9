"""The gateway's settings: peers and link keys are required, timeouts have safe defaults."""

from __future__ import annotations

import pytest

from hospital_gateway.settings import DEFAULT_DATABASE_URL, Settings
from servicekit.config import MissingSetting

ENV = {
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "HOSPITAL_CODE": "H00001",
    "HIP_ENVELOPE_URL": "http://hip/envelope",
    "INSFE_ENVELOPE_URL": "http://insfe/envelope",
    "CLOUD_ENVELOPE_URL": "http://cloud/envelope",
    "ENVELOPE_KEY_ID_CLOUD": "c1",
    "ENVELOPE_KEY_CLOUD": "cloud-secret",
    "ENVELOPE_KEY_ID_HIP": "h1",
    "ENVELOPE_KEY_HIP": "hip-secret",
    "ENVELOPE_KEY_ID_INSFE": "i1",
    "ENVELOPE_KEY_INSFE": "insfe-secret",
}


def test_defaults_keep_the_relay_read_timeout_below_the_clouds_15_seconds() -> None:
    settings = Settings.from_env(ENV)
    assert settings.relay_connect_timeout == 2.0
    assert settings.relay_read_timeout == 10.0 < 15.0
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.audit_token == ""


def test_each_link_has_its_own_ring() -> None:
    settings = Settings.from_env({**ENV, "ENVELOPE_PREVIOUS_KEYS_HIP": "h0:old-hip"})
    assert settings.cloud_ring.active_key_id == "c1"
    assert set(settings.hip_ring.keys) == {"h1", "h0"}
    assert settings.insfe_ring.active_key == b"insfe-secret"


@pytest.mark.parametrize(
    "name",
    [
        "REDIS_URL",
        "HIP_ENVELOPE_URL",
        "INSFE_ENVELOPE_URL",
        "CLOUD_ENVELOPE_URL",
        "ENVELOPE_KEY_HIP",
        "HOSPITAL_CODE",
    ],
)
def test_missing_peer_or_key_stops_the_start_up(name: str) -> None:
    env = {k: v for k, v in ENV.items() if k != name}
    with pytest.raises(MissingSetting, match=name):
        Settings.from_env(env)


def test_timeouts_accept_fractions_of_a_second_and_refuse_nonsense() -> None:
    settings = Settings.from_env({**ENV, "GATEWAY_RELAY_READ_TIMEOUT": "0.5"})
    assert settings.relay_read_timeout == 0.5
    with pytest.raises(MissingSetting):
        Settings.from_env({**ENV, "GATEWAY_RELAY_CONNECT_TIMEOUT": "soon"})
