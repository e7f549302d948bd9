"""Fresh key pairs and a simulator Platform for the WeChat Pay unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.keys import ensure_dev_keys
from simulators.wechatpay.signing import Platform, load_platform

KEY_ENV = {
    "WECHAT_MERCHANT_PRIVATE_KEY_PATH": "merchant_private.pem",
    "WECHAT_MERCHANT_PUBLIC_KEY_PATH": "merchant_public.pem",
    "WECHAT_PLATFORM_PRIVATE_KEY_PATH": "platform_private.pem",
    "WECHAT_PUBLIC_KEY_PATH": "platform_public.pem",
}


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a fresh merchant pair and a fresh platform pair."""
    root = tmp_path_factory.mktemp("wechat_unit_keys")
    ensure_dev_keys(root, KEY_ENV)
    return root


@pytest.fixture
def platform(keys: Path) -> Platform:
    """The simulator's key material for merchant 1900000001."""
    return load_platform(
        private_pem=(keys / "platform_private.pem").read_bytes(),
        public_key_id="PUB_KEY_ID_UNIT",
        merchant_public_pem=(keys / "merchant_public.pem").read_bytes(),
        mchid="1900000001",
        merchant_serial_no="UNITSERIAL",
        apiv3_key="unit0apiv3key0000000000000000001",
    )
