"""``python -m bench.gateway_cpu [--messages N] [--threads T] [--sqlite] [--profile]``: the
gateway's CPU per relayed message, every check on.

Builds hospital_gateway with ``create_app`` on a fresh PostgreSQL audit database
(``gateway_perf_<random>``, dropped afterwards) or a SQLite file and the test Redis, against
a HIS in a child process (kept-alive HTTP/1.1, as gunicorn's gthread workers serve) that
answers 1003 with a body that fits its answer model. N distinct 1003s are signed as the
cloud signs them and turned into WSGI environs beforehand; then T threads hand them to the
app's WSGI callable, and the process CPU (``time.process_time``, every thread) spent per
message is printed (the log lines go to stderr as in production: send it to /dev/null).
The child's CPU is not counted: it is the backend's, as nginx's is not.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import pstats
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from werkzeug.test import EnvironBuilder

from envelope import CLOUD, HIP, INSFE, EnvelopeClient, KeyRing
from envelope.replay import MemoryNonceStore
from envelope.server import EnvelopeEndpoint, Incoming
from envelope.verify import Link, Verifier
from hospital_gateway import MIGRATIONS, Settings, create_app
from servicekit.db import migrate

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
HOSPITAL = "H00001"
RINGS = {
    CLOUD: KeyRing.from_settings(CLOUD, "cloud-bench-1", "bench-cloud-link-secret"),
    HIP: KeyRing.from_settings(HIP, "hip-bench-1", "bench-gateway-hip-secret"),
    INSFE: KeyRing.from_settings(INSFE, "insfe-bench-1", "bench-gateway-insfe-secret"),
}


def patient_info(incoming: Incoming) -> dict[str, Any]:
    """A 1003 answer that fits PatientInfoAnswer."""
    return {
        "patient_id": "P0001",
        "mrn": str(incoming.body["mrn"]),
        "patient_type": "EMPLOYEE",
        "insured": True,
        "id_card_no": "110105198001010016",
        "name": "张伟",
        "gender": "M",
        "birth_date": "1980-01-01",
        "phone": "13800000000",
    }


class KeptAlive(BaseHTTPRequestHandler):
    """POST /envelope answered by the HIS endpoint over kept-alive HTTP/1.1 (werkzeug's
    server closes every connection; gunicorn's gthread workers keep them)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the body is written after the head: no delayed ACK
    endpoint: EnvelopeEndpoint

    def do_POST(self) -> None:
        """Read the body, answer it, keep the connection."""
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        reply, _code = self.endpoint.handle(raw)
        payload = json.dumps(reply, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""


def _serve_his(urls: Any) -> None:
    """The child: a HIS that answers 1003."""
    KeptAlive.endpoint = EnvelopeEndpoint(
        HIP,
        Verifier([Link(RINGS[HIP], frozenset({CLOUD}))], MemoryNonceStore()),
        {"1003": patient_info},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeptAlive)
    urls.put(f"http://127.0.0.1:{server.server_port}/envelope")
    server.serve_forever()


@contextmanager
def his() -> Iterator[str]:
    """The HIS child process; its envelope URL."""
    urls: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve_his, args=(urls,), daemon=True)
    process.start()
    try:
        yield str(urls.get(timeout=60))
    finally:
        process.kill()


@contextmanager
def database(sqlite: bool) -> Iterator[str]:
    """A migrated audit database of its own, removed afterwards."""
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'gateway.db'}"
            migrate(url, MIGRATIONS)
            yield url
        return
    name = f"gateway_perf_{secrets.token_hex(3)}"
    admin = psycopg.connect(ADMIN_URL, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        migrate(url, MIGRATIONS)
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def environs(count: int) -> list[dict[str, Any]]:
    """``count`` WSGI environs of distinct signed 1003s from the cloud, built beforehand."""
    cloud = EnvelopeClient(
        "http://unused.invalid/gateway",
        RINGS[CLOUD],
        sender=CLOUD,
        receiver=HIP,
        hospital_code=HOSPITAL,
    )
    made = []
    for n in range(count):
        data = json.dumps(cloud.build("1003", {"mrn": f"M{n % 200 + 1:08d}"})).encode()
        builder = EnvironBuilder(
            path="/gateway", method="POST", data=data, content_type="application/json"
        )
        made.append(builder.get_environ())
    return made


def drive(app: Any, batch: list[dict[str, Any]], results: list[str]) -> None:
    """Hand each environ to the WSGI callable; keep each answer's result code."""

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        return None

    for environ in batch:
        payload = b"".join(app(environ, start_response))
        results.append(json.loads(payload)["header"]["result_code"])


def run(app: Any, made: list[dict[str, Any]], threads: int) -> tuple[float, list[str]]:
    """CPU seconds for the messages over ``threads`` threads (one: this one), and the
    result codes."""
    results: list[str] = []
    batches = [made[n::threads] for n in range(threads)]
    workers = [threading.Thread(target=drive, args=(app, b, results)) for b in batches]
    started = time.process_time()
    if threads == 1:
        drive(app, made, results)
    for worker in workers if threads > 1 else []:
        worker.start()
    for worker in workers if threads > 1 else []:
        worker.join()
    return time.process_time() - started, results


def main() -> None:
    """Build, warm up, measure, print."""
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_cpu", description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sqlite", action="store_true", help="audit in SQLite, not PostgreSQL")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    parser.add_argument("--sort", default="tottime", help="the profile's order: tottime, cumtime")
    args = parser.parse_args()
    with his() as his_url, database(args.sqlite) as url:
        settings = Settings(
            redis_url=REDIS_URL,
            hospital_code=HOSPITAL,
            hip_envelope_url=his_url,
            insfe_envelope_url=his_url,
            cloud_envelope_url=his_url,
            cloud_ring=RINGS[CLOUD],
            hip_ring=RINGS[HIP],
            insfe_ring=RINGS[INSFE],
            database_url=url,
            rate_per_patient=10**6,
        )
        flask_app = create_app(settings)
        app = flask_app.wsgi_app
        run(app, environs(200), 1)  # warm: connections, caches, the script loaded in Redis
        made = environs(args.messages)
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        seconds, results = run(app, made, args.threads)
        if profiler is not None:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(30)
            print(out.getvalue())
        verdict = flask_app.extensions["hospital_gateway"].audit.verify()
    wrong = len(results) - results.count("0000")
    print(
        f"{args.messages} relayed 1003s, {args.threads} thread(s), audit in "
        f"{'SQLite' if args.sqlite else 'PostgreSQL'}: {seconds / args.messages * 1e6:.0f} µs "
        f"CPU per message ({wrong} not 0000; audit chain of {verdict.entries} entries "
        f"{'intact' if verdict.intact else 'BROKEN'})"
    )


if __name__ == "__main__":
    main()
