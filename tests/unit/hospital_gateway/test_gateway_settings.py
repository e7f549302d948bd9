"""The gateway's settings: peers and link keys are required, timeouts have safe defaults."""

from __future__ import annotations

from pathlib import Path

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


def test_rate_limits_and_size_limit_have_generous_defaults() -> None:
    settings = Settings.from_env(ENV)
    assert (settings.rate_per_sender, settings.rate_per_patient) == (2000, 1000)
    assert settings.max_envelope_bytes == 1024 * 1024


def test_rate_limits_can_be_set_or_turned_off_but_not_negative() -> None:
    settings = Settings.from_env(
        {**ENV, "GATEWAY_RATE_PER_SENDER": "0", "GATEWAY_RATE_PER_PATIENT": "30"}
    )
    assert (settings.rate_per_sender, settings.rate_per_patient) == (0, 30)
    with pytest.raises(MissingSetting, match="GATEWAY_RATE_PER_PATIENT"):
        Settings.from_env({**ENV, "GATEWAY_RATE_PER_PATIENT": "-1"})
    with pytest.raises(MissingSetting, match="GATEWAY_MAX_ENVELOPE_BYTES"):
        Settings.from_env({**ENV, "GATEWAY_MAX_ENVELOPE_BYTES": "0"})


def test_patient_key_is_derived_from_the_cloud_link_unless_set() -> None:
    derived = Settings.from_env(ENV).patient_key()
    assert derived != b"cloud-secret" and len(derived) == 32
    assert Settings.from_env({**ENV, "GATEWAY_RATE_PATIENT_KEY": "k"}).patient_key() == b"k"


def test_settings_file_overrides_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "gateway.env"
    path.write_text(
        "# rotation of the CLOUD link\n"
        "ENVELOPE_KEY_ID_CLOUD=c2\nENVELOPE_KEY_CLOUD=new-cloud-secret\n"
        "ENVELOPE_PREVIOUS_KEYS_CLOUD=c1:cloud-secret\n",
        encoding="utf-8",
    )
    settings = Settings.from_env({**ENV, "GATEWAY_SETTINGS_FILE": str(path)})
    assert settings.cloud_ring.active_key_id == "c2"
    assert settings.cloud_ring.keys == {"c2": b"new-cloud-secret", "c1": b"cloud-secret"}
    assert settings.hip_ring.active_key_id == "h1"
