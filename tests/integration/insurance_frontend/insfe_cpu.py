"""CPU of insurance_frontend per message: N insured registrations (4004 pre-settle, 4005
settle), the center simulator and a fake integration_platform in a child process so that
only the frontend's own CPU is counted (time.process_time of this process).

    .venv/bin/python -m tests.integration.insurance_frontend.insfe_cpu [N] [--sqlite]

PostgreSQL (the deployment's database) when 127.0.0.1:5432 answers, else SQLite.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import multiprocessing
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from envelope import CLOUD, INSFE, EnvelopeClient, Incoming
from insurance_frontend import Settings, create_app
from insurance_frontend.__main__ import MIGRATIONS
from servicekit.db import migrate
from tests.integration.insurance_frontend.insfe_neighbours import (
    FIXMEDINS_CODE,
    INSFE_HIP_RING,
    INSFE_RING,
    PAAS_ID,
    PAAS_TOKEN,
    FakeHis,
    center_app,
    center_url,
)

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


class AnyOrderHis(FakeHis):
    """Every order_no asked for is a LOCKED registration of 张伟 with lock L-<order_no>."""

    def registration(self, incoming: Incoming) -> dict[str, Any]:
        order_no = incoming.body["order_no"]
        if order_no not in self.registrations:
            self.lock(order_no, "M-ZW")
        return super().registration(incoming)


class KeptAlive(WSGIRequestHandler):
    """HTTP/1.1 with kept-alive connections, as gunicorn's gthread workers answer."""

    protocol_version = "HTTP/1.1"


def serve(app: Flask) -> str:
    """Serve an app on 127.0.0.1 in a daemon thread; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=KeptAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def neighbours(tmp: str, urls: Any) -> None:
    """Child process: serve the center and the HIS until killed."""
    logging.disable(logging.INFO)
    urls.put((serve(center_app(Path(tmp))), serve(AnyOrderHis().app())))
    while True:
        time.sleep(60)


@contextmanager
def database(tmp: str, sqlite: bool) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; SQLite when asked or none answers."""
    import psycopg

    name = f"insfe_cpu_{uuid.uuid4().hex[:8]}"
    try:
        admin = None if sqlite else psycopg.connect(ADMIN_URL, autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not used ({exc}); SQLite")
        admin = None
    if admin is None:
        yield f"sqlite:///{Path(tmp) / 'insfe.db'}"
        return
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def run(count: int, sqlite: bool, profile_to: str = "") -> None:
    tmp = tempfile.mkdtemp(prefix="insfe-cpu-")
    urls: Any = multiprocessing.Queue()
    child = multiprocessing.Process(target=neighbours, args=(tmp, urls), daemon=True)
    child.start()
    center, his = urls.get(timeout=30)
    with database(tmp, sqlite) as db:
        try:
            measure(db, center, his, count, profile_to)
        finally:
            child.kill()


def frontend_settings(db: str, center: str, his: str) -> Settings:
    """The frontend's settings with the test keys, the served neighbours and ``db``."""
    return Settings(
        redis_url="redis://127.0.0.1:6379/0",
        hospital_code="H00001",
        center_url=center_url(center),
        paas_id=PAAS_ID,
        paas_token=PAAS_TOKEN,
        fixmedins_code=FIXMEDINS_CODE,
        fixmedins_name="示范医院",
        mdtrtarea_admvs="110105",
        hip_envelope_url=f"{his}/envelope",
        insfe_ring=INSFE_RING,
        insfe_hip_ring=INSFE_HIP_RING,
        database_url=db,
    )


def measure(db: str, center: str, his: str, count: int, profile_to: str) -> None:
    """Build the app on ``db``, warm it up, then time ``count`` registrations."""
    migrate(db, MIGRATIONS)
    client = create_app(frontend_settings(db, center, his)).test_client()
    cloud = EnvelopeClient(
        "unused", INSFE_RING, sender=CLOUD, receiver=INSFE, hospital_code="H00001"
    )

    def envelope(code: str, body: dict[str, Any]) -> str:
        built = cloud.build(code, body, channel="APP", operator="u1")
        return json.dumps(built, ensure_ascii=False)

    def registration() -> list[str]:  # built beforehand: signing them is the caller's CPU
        order_no = f"R{uuid.uuid4().hex[:20]}"
        body = {"order_no": order_no, "mrn": "M-ZW", "kind": "REG", "lock_id": f"L-{order_no}"}
        return [envelope(code, {**body, "acct_used": True}) for code in ("4004", "4005")]

    def send_all(envelopes: list[list[str]]) -> None:
        for pair in envelopes:
            for data in pair:
                answer = client.post("/envelope", data=data).get_json()
                assert answer["header"]["result_code"] == "0000", answer["header"]

    send_all([registration() for _ in range(5)])  # warm up: sign-in, first connections
    envelopes = [registration() for _ in range(count)]
    profile = cProfile.Profile(time.process_time) if profile_to else None
    started, wall = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    send_all(envelopes)
    if profile is not None:
        profile.disable()
        profile.dump_stats(profile_to)
    cpu_ms = (time.process_time() - started) * 1000
    wall_ms = (time.perf_counter() - wall) * 1000
    print(f"{count} registrations on {db.split(':')[0]}: {cpu_ms / count:.1f} ms CPU each, "
          f"{cpu_ms / count / 2:.1f} ms per message; wall {wall_ms / count:.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", nargs="?", type=int, default=100)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--profile", default="", help="write cProfile stats to this file")
    args = parser.parse_args()
    run(args.count, args.sqlite, args.profile)


if __name__ == "__main__":
    main()
