"""The gateway hop against nginx relaying to the same backend, both driven by ``wrk``.

Every request must carry a fresh nonce (the gateway and integration_platform refuse a replay
with 1005), so the bench signs enough distinct envelopes beforehand and a wrk Lua script
posts each once; its threads split the list. The Python side does no work during a run, so
the load generator costs both paths the same (and little) CPU.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.measure import Result
from devstack.ports import free_port, wait_for_http
from devstack.stack import Stack
from envelope import CLOUD, EnvelopeClient, KeyRing

WRK_SCRIPT = """
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  bodies, idx = {}, 0
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == id then bodies[#bodies + 1] = line end
    i = i + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  idx = idx + 1
  if idx > #bodies then idx = 1 end
  return wrk.format(nil, nil, nil, bodies[idx])
end
function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""

NGINX_CONF = """
worker_processes auto;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  upstream hip {{ server 127.0.0.1:{backend}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location = /healthz {{ return 200 "ok"; }}
    location = /envelope {{
      proxy_pass http://hip;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""


def available() -> str | None:
    """Why the comparison cannot run here (nginx or wrk missing), else None."""
    missing = [tool for tool in ("nginx", "wrk") if shutil.which(tool) is None]
    return f"needs {' and '.join(missing)} (apt-get install nginx wrk)" if missing else None


def seeded_mrn(n: int) -> str:
    """One of the HIS seed's 200 patients, in turn: the gateway's per-patient rate limit
    (1,000 a minute) stays on and is not what the bench measures."""
    return f"M{n % 200 + 1:08d}"


def signed_bodies(stack: Stack, link: str, url: str, count: int, path: Path) -> None:
    """``count`` distinct signed 1003 envelopes for ``link``, one JSON document a line."""
    ring = KeyRing.from_settings(
        link, stack.env[f"ENVELOPE_KEY_ID_{link}"], stack.env[f"ENVELOPE_KEY_{link}"]
    )
    client = EnvelopeClient(
        url, ring, sender=CLOUD, receiver="HIP", hospital_code=stack.env["HOSPITAL_CODE"]
    )
    with path.open("w", encoding="ascii") as out:
        for n in range(count):
            out.write(json.dumps(client.build("1003", {"mrn": seeded_mrn(n)})) + "\n")


def wrk(name: str, url: str, bodies: Path, seconds: int, connections: int) -> Result:
    """Run wrk against ``url``; every non-2xx answer or socket error counts as a failure."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    threads = 2
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--latency", "-s", script.name, url, "--", str(bodies), str(threads)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    Path(script.name).unlink()
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    return Result(
        name,
        int(data["requests"]),
        data["duration_us"] / 1e6,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        int(data["non2xx"]) + int(data["errors"]),
    )


def start_nginx(prefix: Path, backend_port: int) -> tuple[subprocess.Popen[bytes], int]:
    """nginx in the foreground on a free port, relaying /envelope to ``backend_port``."""
    port = free_port()
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, backend=backend_port, port=port))
    process = subprocess.Popen(
        ["nginx", "-p", str(prefix), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_http(f"http://127.0.0.1:{port}/healthz", 10)
    return process, port


def gateway_against_nginx(
    stack: Stack, seconds: int = 8, connections: int = 16, bodies: int = 30_000
) -> list[Result]:
    """nginx -> integration_platform, then gateway -> integration_platform, same load."""
    work = stack.var_dir / "hop"
    nginx, port = start_nginx(work / "nginx", stack.ports["integration_platform"])
    try:
        nginx_url = f"http://127.0.0.1:{port}/envelope"
        signed_bodies(stack, "HIP", nginx_url, bodies, work / "hip.jsonl")
        by_nginx = wrk(
            "1003 via nginx (proxy only) -> integration_platform",
            nginx_url,
            work / "hip.jsonl",
            seconds,
            connections,
        )
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    time.sleep(1.0)
    signed_bodies(stack, "CLOUD", stack.env["GATEWAY_URL"], bodies, work / "cloud.jsonl")
    by_gateway = wrk(
        "1003 via hospital_gateway (every check on) -> integration_platform",
        stack.env["GATEWAY_URL"],
        work / "cloud.jsonl",
        seconds,
        connections,
    )
    return [by_nginx, by_gateway]
