"""Settings of integration_platform."""

from __future__ import annotations

import pytest

from integration_platform.settings import DEFAULT_DATABASE_URL, Settings
from servicekit.config import MissingSetting

LINKS = {
    "ENVELOPE_KEY_ID_HIP": "hip-1",
    "ENVELOPE_KEY_HIP": "s1",
    "ENVELOPE_KEY_ID_INSFE_HIP": "ih-1",
    "ENVELOPE_KEY_INSFE_HIP": "s2",
}


def test_defaults_fill_harmless_settings() -> None:
    settings = Settings.from_env({**LINKS, "REDIS_URL": "redis://x:6379/0"})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.lock_minutes == 15 and settings.hospital_code == "H00001"
    assert settings.cancel_cutoff_minutes == 0
    assert settings.hip_ring.active_key_id == "hip-1"
    assert settings.insfe_hip_ring.active_key == b"s2"


def test_values_from_the_environment_win() -> None:
    settings = Settings.from_env(
        {
            **LINKS,
            "REDIS_URL": "redis://x",
            "LOCK_MINUTES": "5",
            "DATABASE_URL": "sqlite:///tmp/x.db",
            "HOSPITAL_CODE": "H9",
            "CANCEL_CUTOFF_MINUTES": "120",
        }
    )
    assert settings.cancel_cutoff_minutes == 120
    assert (settings.lock_minutes, settings.database_url, settings.hospital_code) == (
        5,
        "sqlite:///tmp/x.db",
        "H9",
    )


@pytest.mark.parametrize("missing", ["REDIS_URL", "ENVELOPE_KEY_HIP", "ENVELOPE_KEY_ID_INSFE_HIP"])
def test_missing_secret_or_peer_stops_start_up(missing: str) -> None:
    env = {**LINKS, "REDIS_URL": "redis://x"}
    del env[missing]
    with pytest.raises(MissingSetting):
        Settings.from_env(env)
