"""insurance_frontend's settings: center timeouts and the order lock, read once."""

from __future__ import annotations

import pytest

from insurance_frontend.settings import ORDER_LOCK_SECONDS, Settings
from servicekit.config import MissingSetting

ENV = {
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "HOSPITAL_CODE": "H00001",
    "INSURANCE_CENTER_URL": "http://center/callService",
    "INSURANCE_PAAS_ID": "paas",
    "INSURANCE_PAAS_TOKEN": "token",
    "FIXMEDINS_CODE": "H11010500001",
    "FIXMEDINS_NAME": "示范医院",
    "MDTRTAREA_ADMVS": "110105",
    "HIP_ENVELOPE_URL": "http://hip/envelope",
    "ENVELOPE_KEY_ID_INSFE": "i1",
    "ENVELOPE_KEY_INSFE": "insfe-secret",
    "ENVELOPE_KEY_ID_INSFE_HIP": "ih1",
    "ENVELOPE_KEY_INSFE_HIP": "insfe-hip-secret",
}


def test_defaults_of_the_center_timeouts_and_the_order_lock() -> None:
    settings = Settings.from_env(ENV)
    assert (settings.center_connect_timeout, settings.center_read_timeout) == (3, 30)
    assert settings.order_lock_seconds == ORDER_LOCK_SECONDS == Settings.order_lock_seconds


def test_the_order_lock_does_not_follow_the_read_timeout() -> None:
    # the lock is renewed while a settlement runs; its timeout only bounds a dead worker's hold
    settings = Settings.from_env({**ENV, "INSURANCE_READ_TIMEOUT": "90"})
    assert settings.center_read_timeout == 90
    assert settings.order_lock_seconds == ORDER_LOCK_SECONDS
    assert (
        Settings.from_env({**ENV, "INSURANCE_ORDER_LOCK_SECONDS": "0.5"}).order_lock_seconds == 0.5
    )


@pytest.mark.parametrize(
    "name", ["INSURANCE_CONNECT_TIMEOUT", "INSURANCE_READ_TIMEOUT", "INSURANCE_ORDER_LOCK_SECONDS"]
)
@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_timeouts_and_the_lock_refuse_zero_and_nonsense(name: str, value: str) -> None:
    with pytest.raises(MissingSetting, match=name):
        Settings.from_env({**ENV, name: value})
