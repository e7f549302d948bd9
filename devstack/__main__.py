"""``python -m devstack``: run the whole system on the development ports until Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import threading

from devstack.ports import port_in_use
from devstack.stack import DEV_PORTS, ROOT, Stack, read_env_file


def main() -> int:
    """Start everything, print where to look, wait, stop everything."""
    ports = dict(DEV_PORTS)
    ports["redis"] = int(os.environ.get("REDIS_PORT", ports["redis"]))
    busy = [f"{name} ({port})" for name, port in ports.items() if port_in_use(port)]
    if busy:
        print("These ports are taken; stop what uses them first: " + ", ".join(busy))
        return 1
    stack = Stack(
        ports=ports, var_dir=ROOT / "var", base_env=read_env_file(ROOT / "deploy" / "dev.env")
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print(
            "Starting Redis, the insurance center and payment simulators, and the four "
            "services ...",
            flush=True,
        )
        stack.start()
        _print_where_to_look(stack)
        while not stop.is_set() and all(p.poll() is None for p in stack.processes.values()):
            stop.wait(1.0)
        dead = [name for name, p in stack.processes.items() if p.poll() is not None]
        if dead:
            print(f"Stopped because these exited: {', '.join(dead)} (see var/logs/)")
    finally:
        stack.stop()
    return 0


def _print_where_to_look(stack: Stack) -> None:
    rows = [
        ("patient pages (H5)", "cloud_service", "/h5/"),
        ("operations console", "cloud_service", "/console/  (users: deploy/dev.env)"),
        ("patient API (OpenAPI)", "cloud_service", "/api/v1/docs/openapi.json"),
        ("hospital_gateway (DMZ)", "hospital_gateway", "/gateway"),
        ("integration_platform (intranet)", "integration_platform", "/envelope"),
        ("insurance_frontend (intranet)", "insurance_frontend", "/envelope"),
        ("insurance center simulator", "insurance_center", "/fsi/api/rsfComIfsService/callService"),
        ("WeChat Pay simulator", "wechatpay", "/cashier/<prepay_id>"),
        ("Alipay simulator", "alipay", "/gateway.do"),
        ("SMS gateway simulator (codes sent)", "sms", "/"),
    ]
    print("\nAll healthy. Where to look:")
    for label, name, path in rows:
        print(f"  {label:34} {stack.url(name)}{path}")
    print(f"  {'Redis':34} redis://127.0.0.1:{stack.ports['redis']}/0")
    print(f"  {'logs (JSON lines, one file each)':34} {stack.var_dir / 'logs'}")
    print("Try the demo patients of the README; Ctrl-C stops everything.\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
