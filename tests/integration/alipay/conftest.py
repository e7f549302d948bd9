"""The Alipay simulator as a real HTTP server in a thread, a notification receiver, and
the cloud's AlipayChannel (so the real python-alipay-sdk) pointed at both; keys are fresh
for the session. ``window``: the simulator of two apps through its test client, for the
service-window entry and the JS bridge."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from alipay import AliPay
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from cloud_service.channels.alipay import AlipayChannel
from devstack.keys import ensure_dev_keys, write_key_pair
from envelope import clock
from simulators.alipay import Settings, create_app

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
KEY_ENV = {
    "ALIPAY_APP_PRIVATE_KEY_PATH": "app_private.pem",
    "ALIPAY_APP_PUBLIC_KEY_PATH": "app_public.pem",
    "ALIPAY_PLATFORM_PRIVATE_KEY_PATH": "platform_private.pem",
    "ALIPAY_PUBLIC_KEY_PATH": "platform_public.pem",
}
FAST_SCHEDULE = (0.2, 0.2, 0.2, 0.2, 0.2)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a fresh app pair and a fresh platform pair."""
    root = tmp_path_factory.mktemp("alipay_keys")
    ensure_dev_keys(root, KEY_ENV)
    return root


def serve(app: Callable[..., object]) -> tuple[BaseWSGIServer, str]:
    """Serve a WSGI app on 127.0.0.1 on a free port, in a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@dataclass
class Receiver:
    """The merchant's notify endpoint: records every form, answers bodies from a script."""

    answers: list[str] = field(default_factory=list)
    received: list[dict[str, str]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def __call__(self, environ: dict, start_response: Callable) -> object:
        request = Request(environ)
        self.received.append(dict(request.form.items()))
        body = self.answers.pop(0) if self.answers else "success"
        self.arrived.set()
        return Response(body, mimetype="text/plain")(environ, start_response)

    def wait_for(self, count: int, seconds: float = 10.0) -> None:
        """Block until ``count`` deliveries arrived, or fail the test."""
        for _ in range(int(seconds / 0.05)):
            if len(self.received) >= count:
                return
            self.arrived.wait(0.05)
            self.arrived.clear()
        raise AssertionError(f"{len(self.received)} notifications arrived, wanted {count}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running notify receiver."""
    receiver = Receiver()
    server, receiver.url = serve(receiver)
    receiver.url += "/notify/alipay"
    yield receiver
    server.shutdown()


@pytest.fixture
def simulator(keys: Path, tmp_path: Path) -> Iterator[str]:
    """The simulator's base URL (a real server, its own SQLite file, fast retries)."""
    settings = Settings(
        app_id=APP_ID,
        app_public_key_path=str(keys / "app_public.pem"),
        platform_private_key_path=str(keys / "platform_private.pem"),
        seller_id=SELLER_ID,
        database_url=f"sqlite:///{tmp_path / 'alisim.db'}",
        notify_schedule=FAST_SCHEDULE,
    )
    app = create_app(settings)
    server, url = serve(app)
    yield url
    server.shutdown()
    app.extensions["alipay_sim"].notifier.stop()


def make_channel(
    keys: Path,
    api_url: str,
    notify_url: str,
    app_private_key: str = "",
    app_id: str = APP_ID,
    timeout: float = 5.0,
) -> AlipayChannel:
    """A channel as the cloud builds it from its settings."""
    return AlipayChannel(
        api_url=api_url,
        app_id=app_id,
        app_private_key=app_private_key or (keys / "app_private.pem").read_text(),
        alipay_public_key=(keys / "platform_public.pem").read_text(),
        notify_url=notify_url,
        return_url="http://127.0.0.1:1/paid",
        seller_id=SELLER_ID,
        timeout=timeout,
    )


@pytest.fixture
def channel(keys: Path, simulator: str, receiver: Receiver) -> AlipayChannel:
    """The cloud's channel, pointed at the simulator's gateway, notices to the receiver."""
    return make_channel(keys, simulator + "/gateway.do", receiver.url)


@pytest.fixture
def channel_factory(keys: Path) -> Callable[..., AlipayChannel]:
    """Build other channels: ``channel_factory(api_url, notify_url, app_private_key=, ...)``."""
    return lambda *args, **kwargs: make_channel(keys, *args, **kwargs)


APP_B = "2021000000000002"  # a second app of the platform, with its own key pair


@dataclass
class Window:
    """A simulator serving two apps through its test client, with a merchant SDK for each."""

    app: Flask
    sdk_a: AliPay
    sdk_b: AliPay

    def call(self, method: str, sdk: AliPay | None = None, biz: dict | None = None, **extra: str):
        """Sign ``method`` as the SDK does (Beijing time) and answer the parsed JSON."""
        merchant = sdk or self.sdk_a
        data = merchant.build_body(method, biz or {}, **extra)
        data["timestamp"] = clock.now().strftime("%Y-%m-%d %H:%M:%S")
        params = dict(parse_qsl(merchant.sign_data(data)))
        answer = self.app.test_client().post("/gateway.do", data=params)
        return json.loads(answer.get_data(as_text=True)), answer.get_data(as_text=True)

    def auth_code(self, user: str = "支付宝用户A", app_id: str = APP_ID) -> str:
        """Pick ``user`` on the authorize page for ``app_id``: the auth_code redirected with."""
        answer = self.app.test_client().post(
            "/oauth2/publicAppAuthorize.htm/confirm",
            data={
                "app_id": app_id,
                "scope": "auth_base",
                "redirect_uri": "https://hospital.example/alipay/entry",
                "state": "s1",
                "user": user,
            },
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return parse_qs(urlsplit(answer.headers["Location"]).query)["auth_code"][0]


def _sdk(app_id: str, private_key: Path, platform_public: Path) -> AliPay:
    return AliPay(
        appid=app_id,
        app_notify_url=None,
        app_private_key_string=private_key.read_text(),
        alipay_public_key_string=platform_public.read_text(),
        sign_type="RSA2",
    )


@pytest.fixture(scope="session")
def app_b_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The second app's key pair."""
    root = tmp_path_factory.mktemp("alipay_app_b")
    write_key_pair(root / "private.pem", root / "public.pem")
    return root


@pytest.fixture
def window(keys: Path, app_b_keys: Path, tmp_path: Path, receiver: Receiver) -> Iterator[Window]:
    """The simulator knowing apps A and B, notifying the receiver on a fast schedule."""
    settings = Settings(
        app_id=APP_ID,
        app_public_key_path=str(keys / "app_public.pem"),
        platform_private_key_path=str(keys / "platform_private.pem"),
        seller_id=SELLER_ID,
        database_url=f"sqlite:///{tmp_path / 'window.db'}",
        notify_schedule=FAST_SCHEDULE,
        other_apps=((APP_B, str(app_b_keys / "public.pem")),),
    )
    app = create_app(settings)
    platform_public = keys / "platform_public.pem"
    yield Window(
        app,
        _sdk(APP_ID, keys / "app_private.pem", platform_public),
        _sdk(APP_B, app_b_keys / "private.pem", platform_public),
    )
    app.extensions["alipay_sim"].notifier.stop()
