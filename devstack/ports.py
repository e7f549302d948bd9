"""Free ports and waiting for a server to answer."""

from __future__ import annotations

import socket
import time

import requests


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts connections on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_http(url: str, deadline_seconds: float = 30.0) -> None:
    """Poll ``url`` until it answers 200, or raise TimeoutError at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    last_error = ""
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1.0).status_code == 200:
                return
            last_error = "not 200"
        except requests.RequestException as exc:
            last_error = type(exc).__name__
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy in {deadline_seconds}s ({last_error})")


def wait_for_port(port: int, deadline_seconds: float = 15.0) -> None:
    """Wait until something listens on the port, or raise TimeoutError."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if port_in_use(port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {deadline_seconds}s")
