"""The WeChat Pay simulator as a real HTTP server in a thread, a notification receiver,
and the cloud's WeChatPayChannel pointed at both; keys are fresh for the session."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from cloud_service.channels.wechat import WeChatPayChannel
from devstack.keys import ensure_dev_keys
from simulators.wechatpay import Settings, create_app

MCHID = "1900000001"
APPID = "wx0000000000000001"
APIV3_KEY = "test0apiv3key0000000000000000001"
SERIAL_NO = "TEST0MERCHANT0SERIAL0000000000000001"
PUBLIC_KEY_ID = "PUB_KEY_ID_0000000000000000000000000099"
KEY_ENV = {
    "WECHAT_MERCHANT_PRIVATE_KEY_PATH": "merchant_private.pem",
    "WECHAT_MERCHANT_PUBLIC_KEY_PATH": "merchant_public.pem",
    "WECHAT_PLATFORM_PRIVATE_KEY_PATH": "platform_private.pem",
    "WECHAT_PUBLIC_KEY_PATH": "platform_public.pem",
}
FAST_SCHEDULE = (0.3, 0.3, 0.3)
REFUND_SECONDS = 0.5
APP_SECRET = "test0app0secret00000000000000001"
# Another official account WeChat knows (another hospital's): its openids are not ours.
OTHER_APPID, OTHER_SECRET = "wx0000000000000002", "test0other0app0secret00000000002"


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a fresh merchant pair and a fresh platform pair."""
    root = tmp_path_factory.mktemp("wechat_keys")
    ensure_dev_keys(root, KEY_ENV)
    return root


def serve(app: Callable[..., object]) -> tuple[BaseWSGIServer, str]:
    """Serve a WSGI app on 127.0.0.1 on a free port, in a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@dataclass
class Receiver:
    """The merchant's notify endpoint: records every delivery, answers from a script."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def __call__(self, environ: dict, start_response: Callable) -> object:
        request = Request(environ)
        self.received.append((dict(request.headers), request.get_data()))
        status = self.statuses.pop(0) if self.statuses else 204
        self.arrived.set()
        return Response(status=status)(environ, start_response)

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
    receiver.url += "/notify/wechat"
    yield receiver
    server.shutdown()


def sim_settings(keys: Path, tmp_path: Path, **overrides: object) -> Settings:
    """The simulator's settings for one test: its own SQLite file, fast retries."""
    values: dict[str, object] = {
        "mchid": MCHID,
        "appid": APPID,
        "apiv3_key": APIV3_KEY,
        "merchant_serial_no": SERIAL_NO,
        "merchant_public_key_path": str(keys / "merchant_public.pem"),
        "platform_private_key_path": str(keys / "platform_private.pem"),
        "public_key_id": PUBLIC_KEY_ID,
        "database_url": f"sqlite:///{tmp_path / 'wxsim.db'}",
        "notify_schedule": FAST_SCHEDULE,
        "refund_seconds": REFUND_SECONDS,
        "app_secret": APP_SECRET,
        "other_apps": ((OTHER_APPID, OTHER_SECRET),),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def simulator(keys: Path, tmp_path: Path) -> Iterator[str]:
    """The simulator's base URL (a real server, its own SQLite file, fast retries)."""
    app = create_app(sim_settings(keys, tmp_path))
    server, url = serve(app)
    yield url
    server.shutdown()
    app.extensions["wechatpay_sim"].notifier.stop()


def openid_of(simulator_url: str, user: str = "微信用户A") -> str:
    """A test WeChat user's openid under our appid, as the authorize exchange gives it."""
    import requests

    users = requests.get(f"{simulator_url}/sim/oauth/users", timeout=5).json()["users"]
    return str(next(u["openid"] for u in users if u["name"] == user))


def make_channel(
    keys: Path,
    api_url: str,
    notify_url: str,
    merchant_key: str = "",
    timeout: float | tuple[float, float] = (2.0, 5.0),
) -> WeChatPayChannel:
    """A channel as the cloud builds it from its settings."""
    return WeChatPayChannel(
        api_url=api_url,
        mchid=MCHID,
        appid=APPID,
        apiv3_key=APIV3_KEY,
        merchant_serial_no=SERIAL_NO,
        merchant_private_key=merchant_key or (keys / "merchant_private.pem").read_text(),
        public_key_id=PUBLIC_KEY_ID,
        public_key=(keys / "platform_public.pem").read_text(),
        notify_url=notify_url,
        timeout=timeout,
    )


@pytest.fixture
def channel(keys: Path, simulator: str, receiver: Receiver) -> WeChatPayChannel:
    """The cloud's channel, pointed at the simulator, notifications to the receiver."""
    return make_channel(keys, simulator, receiver.url)


@pytest.fixture
def channel_factory(keys: Path) -> Callable[..., WeChatPayChannel]:
    """Build other channels: ``channel_factory(api_url, notify_url, merchant_key=, timeout=)``."""
    return lambda *args, **kwargs: make_channel(keys, *args, **kwargs)
