"""Fresh key pairs, a simulator app (no notifier thread) and an SDK client that signs
requests as the merchant, for the Alipay unit tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from alipay import AliPay
from flask import Flask

from devstack.keys import ensure_dev_keys
from envelope import clock
from simulators.alipay import Settings, create_app
from simulators.alipay.signing import Platform, load_platform

APP_ID = "2021000000000001"
KEY_ENV = {
    "ALIPAY_APP_PRIVATE_KEY_PATH": "app_private.pem",
    "ALIPAY_APP_PUBLIC_KEY_PATH": "app_public.pem",
    "ALIPAY_PLATFORM_PRIVATE_KEY_PATH": "platform_private.pem",
    "ALIPAY_PUBLIC_KEY_PATH": "platform_public.pem",
}


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a fresh app pair and a fresh platform pair."""
    root = tmp_path_factory.mktemp("alipay_unit_keys")
    ensure_dev_keys(root, KEY_ENV)
    return root


@pytest.fixture
def platform(keys: Path) -> Platform:
    """The simulator's key material for app 2021000000000001."""
    return load_platform(
        (keys / "platform_private.pem").read_bytes(),
        (keys / "app_public.pem").read_bytes(),
        APP_ID,
        "2088000000000001",
    )


@pytest.fixture
def sdk(keys: Path) -> AliPay:
    """The merchant's side: python-alipay-sdk with the app key and the platform key."""
    return AliPay(
        appid=APP_ID,
        app_private_key_string=(keys / "app_private.pem").read_text(),
        alipay_public_key_string=(keys / "platform_public.pem").read_text(),
        sign_type="RSA2",
    )


@pytest.fixture
def app(keys: Path, tmp_path: Path) -> Flask:
    """The simulator with its own SQLite file and no notifier thread."""
    settings = Settings(
        app_id=APP_ID,
        app_public_key_path=str(keys / "app_public.pem"),
        platform_private_key_path=str(keys / "platform_private.pem"),
        database_url=f"sqlite:///{tmp_path / 'sim.db'}",
        start_notifier=False,
    )
    return create_app(settings)


@pytest.fixture
def signed(sdk: AliPay) -> Callable[..., dict[str, str]]:
    """``signed(method, biz, **extra)``: the request parameters signed as the SDK does,
    stamped in Beijing time unless ``timestamp=`` says otherwise."""

    def build(method: str, biz: dict[str, Any], **extra: str) -> dict[str, str]:
        data = sdk.build_body(method, biz)
        data["timestamp"] = clock.now().strftime("%Y-%m-%d %H:%M:%S")
        data.update(extra)
        return dict(parse_qsl(sdk.sign_data(data)))

    return build
