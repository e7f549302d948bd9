"""CPU of a simulator per complete insured registration: the simulator is served in a child
process and driven from this one with the calls of one registration; the child's CPU (user
and system, from /proc) is counted, so the caller's CPU is not.

    .venv/bin/python -m bench.sim_cpu center [N]
    .venv/bin/python -m bench.sim_cpu wechatpay [N]

center: insurance_frontend's 4004 + 4005 against it (1101, 2201, 2204, 2206, 2207);
wechatpay: an H5 order, the cashier page and its pay, the signed and encrypted notify to a
receiver here, the query. ``--spy FILE`` records the child with py-spy (raw stacks).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


def _quiet() -> None:
    """No access log line per request: the dev server's, not the simulator's (gunicorn's
    access log is off in the deployment)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _serve_center(tmp: str, urls: Any) -> None:
    from tests.integration.insurance_frontend.insfe_neighbours import center_app, serving

    app = center_app(Path(tmp))
    _quiet()
    with serving(app) as url:
        urls.put(url)
        while True:
            time.sleep(60)


def _serve_wechatpay(tmp: str, keys: str, urls: Any) -> None:
    from simulators.wechatpay import create_app
    from tests.integration.insurance_frontend.insfe_neighbours import serving
    from tests.integration.wechatpay.conftest import sim_settings

    app = create_app(sim_settings(Path(keys), Path(tmp)))
    _quiet()
    with serving(app) as url:
        urls.put(url)
        while True:
            time.sleep(60)


@contextmanager
def child(target: Callable[..., None], *args: Any) -> Iterator[tuple[int, str]]:
    urls: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=target, args=(*args, urls), daemon=True)
    process.start()
    try:
        yield int(process.pid or 0), str(urls.get(timeout=60))
    finally:
        process.kill()


def measure(name: str, pid: int, one: Callable[[], None], count: int, spy: str) -> None:
    """Warm up, then time ``count`` registrations by the child's CPU."""
    for _ in range(5):
        one()
    recorder = None
    if spy:
        command = [
            ".venv/bin/py-spy",
            "record",
            "-p",
            str(pid),
            "-f",
            "raw",
            "-o",
            spy,
            "-r",
            "200",
        ]
        recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    before, wall = cpu_seconds(pid), time.perf_counter()
    for _ in range(count):
        one()
    spent = cpu_seconds(pid) - before
    wall_s = time.perf_counter() - wall
    if recorder is not None:
        recorder.send_signal(2)
        recorder.wait(timeout=30)
    print(f"{name}: {spent * 1000 / count:.1f} ms CPU per registration "
          f"({count} registrations, wall {wall_s * 1000 / count:.1f} ms each)")  # fmt: skip


def center(count: int, spy: str) -> None:
    from envelope import CLOUD, INSFE, EnvelopeClient
    from insurance_frontend import Settings, create_app
    from insurance_frontend.__main__ import MIGRATIONS
    from servicekit.db import migrate
    from tests.integration.insurance_frontend.insfe_cpu import AnyOrderHis
    from tests.integration.insurance_frontend.insfe_neighbours import (
        FIXMEDINS_CODE,
        INSFE_HIP_RING,
        INSFE_RING,
        PAAS_ID,
        PAAS_TOKEN,
        center_url,
        serving,
    )  # fmt: skip

    tmp = tempfile.mkdtemp(prefix="sim-cpu-")
    with child(_serve_center, tmp) as (pid, url), serving(AnyOrderHis().app()) as his:
        db = f"sqlite:///{Path(tmp) / 'insfe.db'}"
        migrate(db, MIGRATIONS)
        settings = Settings(
            redis_url="redis://127.0.0.1:6379/0", hospital_code="H00001",
            center_url=center_url(url), paas_id=PAAS_ID, paas_token=PAAS_TOKEN,
            fixmedins_code=FIXMEDINS_CODE, fixmedins_name="示范医院", mdtrtarea_admvs="110105",
            hip_envelope_url=f"{his}/envelope", insfe_ring=INSFE_RING,
            insfe_hip_ring=INSFE_HIP_RING, database_url=db,
        )  # fmt: skip
        client = create_app(settings).test_client()
        cloud = EnvelopeClient(
            "-", INSFE_RING, sender=CLOUD, receiver=INSFE, hospital_code="H00001"
        )

        def one() -> None:
            order_no = f"R{uuid.uuid4().hex[:20]}"
            body = {"order_no": order_no, "mrn": "M-ZW", "kind": "REG",
                    "lock_id": f"L-{order_no}", "acct_used": True}  # fmt: skip
            for code in ("4004", "4005"):
                built = cloud.build(code, body, channel="APP", operator="u1")
                answer = client.post("/envelope", data=json.dumps(built, ensure_ascii=False))
                assert answer.get_json()["header"]["result_code"] == "0000", answer.get_json()

        measure("insurance center simulator", pid, one, count, spy)


def wechatpay(count: int, spy: str) -> None:
    import requests
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    from devstack.keys import ensure_dev_keys
    from tests.integration.wechatpay.conftest import KEY_ENV, make_channel

    keys = tempfile.mkdtemp(prefix="sim-cpu-keys-")
    ensure_dev_keys(Path(keys), KEY_ENV)
    arrived: list[tuple[dict[str, str], bytes]] = []
    event = threading.Event()

    def receiver(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        arrived.append((dict(request.headers), request.get_data()))
        event.set()
        return Response(status=204)(environ, start_response)

    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    notify_url = f"http://127.0.0.1:{server.server_port}/notify/wechat"
    tmp = tempfile.mkdtemp(prefix="sim-cpu-")
    with child(_serve_wechatpay, tmp, keys) as (pid, url):
        channel = make_channel(Path(keys), url, notify_url)
        payer = requests.Session()

        def one() -> None:
            out_trade_no = f"ORD{uuid.uuid4().hex[:20]}"
            order = channel.create_h5(out_trade_no, 2800, "挂号费")
            assert payer.get(order["h5_url"], timeout=5).status_code == 200
            assert payer.post(order["h5_url"] + "/pay", timeout=5).status_code == 200
            deadline = time.monotonic() + 10
            while (
                not arrived
                or out_trade_no not in channel.parse_notification(*arrived[-1]).out_trade_no
            ):
                assert time.monotonic() < deadline, "no notification"
                event.wait(0.01)
                event.clear()
            assert channel.query(out_trade_no).paid

        measure("WeChat Pay simulator", pid, one, count, spy)
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("simulator", choices=("center", "wechatpay"))
    parser.add_argument("count", nargs="?", type=int, default=100)
    parser.add_argument("--spy", default="", help="record the simulator with py-spy (raw)")
    args = parser.parse_args()
    (center if args.simulator == "center" else wechatpay)(args.count, args.spy)


if __name__ == "__main__":
    main()
