"""The cloud's payment edge for real: both simulators as HTTP servers, the cloud's channels
(wechatpayv3, python-alipay-sdk) pointed at them, the notify and notices blueprints served
over a socket so the simulators deliver to them, a PostgreSQL ledger and a real Redis."""

from __future__ import annotations

import io
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from cloud_service import saga
from cloud_service.api import notify
from cloud_service.channels.alipay import AlipayChannel
from cloud_service.channels.wechat import WeChatPayChannel
from cloud_service.deps import Deps
from cloud_service.models import AppUser, Order
from cloud_service.notices import notices_endpoint
from devstack.keys import ensure_dev_keys
from envelope import KeyRing, clock
from servicekit.db import make_engine, migrate, session_factory, transaction
from simulators import alipay as alipay_sim
from simulators import wechatpay as wechat_sim
from tests.unit.cloud_service.fakes import FakeHospital

ROOT = Path(__file__).resolve().parents[3]
MCHID, APPID = "1900000001", "wx0000000000000001"
APIV3_KEY = "pay0apiv3key00000000000000000001"
SERIAL_NO, PUBLIC_KEY_ID = "PAYSERIAL0001", "PUB_KEY_ID_PAY0001"
ALIPAY_APP_ID, SELLER_ID = "2021000000000001", "2088000000000001"
KEY_ENV = {
    "WECHAT_MERCHANT_PRIVATE_KEY_PATH": "wx_merchant_private.pem",
    "WECHAT_MERCHANT_PUBLIC_KEY_PATH": "wx_merchant_public.pem",
    "WECHAT_PLATFORM_PRIVATE_KEY_PATH": "wx_platform_private.pem",
    "WECHAT_PUBLIC_KEY_PATH": "wx_platform_public.pem",
    "ALIPAY_APP_PRIVATE_KEY_PATH": "ali_app_private.pem",
    "ALIPAY_APP_PUBLIC_KEY_PATH": "ali_app_public.pem",
    "ALIPAY_PLATFORM_PRIVATE_KEY_PATH": "ali_platform_private.pem",
    "ALIPAY_PUBLIC_KEY_PATH": "ali_platform_public.pem",
}
CLOUD_RING = KeyRing.from_settings("CLOUD", "cloud-k1", "cloud-payments-test-secret-0001")
REFUND_SECONDS = 0.3


def serve(app: Callable[..., object]) -> tuple[BaseWSGIServer, str]:
    """Serve a WSGI app on 127.0.0.1 on a free port, in a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@dataclass
class Recorder:
    """WSGI middleware keeping every notification the cloud was sent, to replay it."""

    app: Callable[..., Any]
    seen: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        from werkzeug.wrappers import Request

        request = Request(environ)
        body = request.get_data(cache=True)
        environ["wsgi.input"] = io.BytesIO(body)  # the app reads the body again
        if request.path.startswith("/api/v1/notify"):
            self.seen.append((request.path, dict(request.headers), body))
        return self.app(environ, start_response)


@dataclass
class Cloud:
    """What the tests reach: the cloud's URL, its deps and channels, the simulators."""

    url: str
    deps: Deps
    wechat: WeChatPayChannel
    alipay: AlipayChannel
    wechat_sim: str
    alipay_sim: str
    recorder: Recorder
    keys: Path


@pytest.fixture(scope="session")
def pay_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fresh key pairs for both channels."""
    root = tmp_path_factory.mktemp("pay_keys")
    ensure_dev_keys(root, KEY_ENV)
    return root


@pytest.fixture(scope="session")
def ledger(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of the cloud's own (others migrate into postgres_url), migrated."""
    import psycopg

    name = f"cloudpay_test_{secrets.token_hex(4)}"
    admin = psycopg.connect(postgres_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{postgres_url.rsplit('/', 1)[0]}/{name}"
    migrate(url, ROOT / "cloud_service" / "migrations")
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _wechat_sim(keys: Path, db: Path) -> Flask:
    return wechat_sim.create_app(
        wechat_sim.Settings(
            mchid=MCHID,
            appid=APPID,
            apiv3_key=APIV3_KEY,
            merchant_serial_no=SERIAL_NO,
            merchant_public_key_path=str(keys / "wx_merchant_public.pem"),
            platform_private_key_path=str(keys / "wx_platform_private.pem"),
            public_key_id=PUBLIC_KEY_ID,
            database_url=f"sqlite:///{db}",
            notify_schedule=(0.3, 0.3, 0.3),
            refund_seconds=REFUND_SECONDS,
        )
    )


def _alipay_sim(keys: Path, db: Path) -> Flask:
    return alipay_sim.create_app(
        alipay_sim.Settings(
            app_id=ALIPAY_APP_ID,
            app_public_key_path=str(keys / "ali_app_public.pem"),
            platform_private_key_path=str(keys / "ali_platform_private.pem"),
            seller_id=SELLER_ID,
            database_url=f"sqlite:///{db}",
            notify_schedule=(0.2, 0.2, 0.2),
        )
    )


def wechat_channel(keys: Path, api_url: str, cloud_url: str, **kw: Any) -> WeChatPayChannel:
    """The cloud's WeChat Pay channel as build_deps makes it."""
    return WeChatPayChannel(
        api_url=api_url,
        mchid=MCHID,
        appid=APPID,
        apiv3_key=APIV3_KEY,
        merchant_serial_no=SERIAL_NO,
        merchant_private_key=(keys / "wx_merchant_private.pem").read_text(),
        public_key_id=PUBLIC_KEY_ID,
        public_key=(keys / "wx_platform_public.pem").read_text(),
        notify_url=f"{cloud_url}/api/v1/notify/wechat",
        **kw,
    )


def _alipay_channel(keys: Path, api_url: str, cloud_url: str) -> AlipayChannel:
    return AlipayChannel(
        api_url=api_url,
        app_id=ALIPAY_APP_ID,
        app_private_key=(keys / "ali_app_private.pem").read_text(),
        alipay_public_key=(keys / "ali_platform_public.pem").read_text(),
        notify_url=f"{cloud_url}/api/v1/notify/alipay",
        seller_id=SELLER_ID,
    )


@pytest.fixture
def cloud(pay_keys: Path, ledger: str, redis_url: str, tmp_path: Path) -> Iterator[Cloud]:
    """Both simulators and the cloud's notify + notices endpoints, all on real sockets."""
    wx_app, ali_app = (
        _wechat_sim(pay_keys, tmp_path / "wx.db"),
        _alipay_sim(pay_keys, tmp_path / "ali.db"),
    )
    (wx_server, wx_url), (ali_server, ali_url) = serve(wx_app), serve(ali_app)
    app = Flask("cloud_payments_test")
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder  # type: ignore[method-assign]
    cloud_server, cloud_url = serve(app)
    wechat = wechat_channel(pay_keys, wx_url, cloud_url)
    alipay = _alipay_channel(pay_keys, ali_url + "/gateway.do", cloud_url)
    deps = Deps(
        sessions=session_factory(make_engine(ledger)),
        hospital=FakeHospital(),  # type: ignore[arg-type]
        channels={"WECHAT": wechat, "ALIPAY": alipay},
    )
    app.extensions["cloud_deps"] = deps
    app.register_blueprint(notify.bp)
    client = redis.Redis.from_url(redis_url)
    notices_endpoint(CLOUD_RING, client, lambda: deps).install(app)
    yield Cloud(cloud_url, deps, wechat, alipay, wx_url, ali_url, recorder, pay_keys)
    for server in (cloud_server, wx_server, ali_server):
        server.shutdown()
    wx_app.extensions["wechatpay_sim"].notifier.stop()
    ali_app.extensions["alipay_sim"].notifier.stop()


def new_order(
    deps: Deps, order_no: str, channel: str, cash_fen: int, state: str = saga.AWAITING_PAYMENT
) -> None:
    """A self-pay registration order waiting in ``state`` (out_trade_no = order_no)."""
    now = clock.now()
    with transaction(deps.sessions) as session:
        if session.get(AppUser, "U-PAY") is None:
            session.add(AppUser(user_id="U-PAY", phone="13900000000"))
            session.flush()
        saga.record_created(
            session,
            Order(
                order_no=order_no,
                user_id="U-PAY",
                mrn="M0001",
                kind="REG",
                state=state,
                pay_mode="SELF_PAY",
                channel=channel,
                lock_id="L1",
                total_fen=cash_fen,
                cash_fen=cash_fen,
                out_trade_no=order_no if cash_fen else None,
                trace_id="trace-" + order_no,
                pay_deadline=now,
            ),
            note="test order",
        )


def order_of(deps: Deps, order_no: str) -> Order:
    """The order as stored now."""
    with deps.sessions() as session:
        order = session.get(Order, order_no)
    assert order is not None
    return order


def wait_for_state(deps: Deps, order_no: str, state: str, seconds: float = 10.0) -> Order:
    """Poll the ledger until the order reaches ``state``."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        order = order_of(deps, order_no)
        if order.state == state:
            return order
        time.sleep(0.05)
    raise AssertionError(f"order {order_no} stayed {order_of(deps, order_no).state}")
