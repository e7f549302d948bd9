"""Network namespaces as the zones' hosts: create them, link them with veth pairs, run
programs inside them, and remove them again.

Addresses are 10.200.x.y, a private range used only inside the namespaces these tests make.
There is no IP forwarding and no default route anywhere, so a namespace reaches exactly the
namespaces it is linked to: the firewall rules of DESIGN §1 hold by construction.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import IO

ROOT_NS = ""  # the test runner's own namespace: a patient's phone on the Internet


def unavailable() -> str:
    """Why namespaces cannot be made here, or "" when they can."""
    if os.geteuid() != 0:
        return "zones tests need root (they create network namespaces): sudo make zones"
    if shutil.which("ip") is None:
        return "zones tests need iproute2's `ip`: apt-get install iproute2"
    probe = f"hpprobe{secrets.token_hex(3)}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=False)
    if made.returncode != 0:
        why = made.stderr.decode().strip()
        return f"`ip netns add` refused ({why}): run as root on the host or a privileged container"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return ""


def _ip(*args: str, ns: str = ROOT_NS) -> None:
    prefix = ["ip", "netns", "exec", ns] if ns else []
    subprocess.run([*prefix, "ip", *args], check=True, capture_output=True)


@dataclass
class Zones:
    """A set of namespaces named <tag>-<zone>, linked pairwise, removed by ``close``."""

    tag: str = field(default_factory=lambda: f"hp{secrets.token_hex(2)}")
    made: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def ns(self, zone: str) -> str:
        """The namespace name of a zone (ROOT_NS for the root)."""
        return ROOT_NS if zone == ROOT_NS else f"{self.tag}-{zone}"

    def add(self, zone: str) -> None:
        """Create a zone's namespace with its loopback up."""
        subprocess.run(["ip", "netns", "add", self.ns(zone)], check=True, capture_output=True)
        self.made.append(self.ns(zone))
        _ip("link", "set", "lo", "up", ns=self.ns(zone))

    def link(self, a: str, a_addr: str, b: str, b_addr: str) -> None:
        """A veth pair between two zones, each end with its /24 address."""
        n = len(self.made) + len(self.processes) + secrets.randbelow(900) + 100
        end_a, end_b = f"{self.tag}a{n}", f"{self.tag}b{n}"
        _ip("link", "add", end_a, "type", "veth", "peer", "name", end_b)
        for zone, end, addr in ((a, end_a, a_addr), (b, end_b, b_addr)):
            if zone != ROOT_NS:
                _ip("link", "set", end, "netns", self.ns(zone))
            _ip("addr", "add", f"{addr}/24", "dev", end, ns=self.ns(zone))
            _ip("link", "set", end, "up", ns=self.ns(zone))

    def command(self, zone: str, argv: list[str]) -> list[str]:
        """The argv that runs a program inside a zone."""
        return ["ip", "netns", "exec", self.ns(zone), *argv] if zone != ROOT_NS else argv

    def start(
        self, zone: str, argv: list[str], env: dict[str, str], log: IO[bytes], cwd: str
    ) -> subprocess.Popen[bytes]:
        """Start a long-running program inside a zone (stopped by ``close``)."""
        process = subprocess.Popen(
            self.command(zone, argv),
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def connects(self, zone: str, host: str, port: int) -> bool:
        """True when a TCP connection from the zone to host:port is accepted."""
        probe = (
            "import socket,sys\n"
            "try:\n"
            f"    socket.create_connection(({host!r}, {port}), timeout=2).close()\n"
            "except OSError:\n"
            "    sys.exit(1)\n"
        )
        argv = self.command(zone, [sys.executable, "-c", probe])
        return subprocess.run(argv, capture_output=True, check=False).returncode == 0

    def answers(self, zone: str, url: str) -> bool:
        """True when GET url from inside the zone answers 200."""
        probe = (
            "import sys,urllib.request\n"
            "try:\n"
            f"    sys.exit(0 if urllib.request.urlopen({url!r}, timeout=2).status == 200 else 1)\n"
            "except Exception:\n"
            "    sys.exit(1)\n"
        )
        argv = self.command(zone, [sys.executable, "-c", probe])
        return subprocess.run(argv, capture_output=True, check=False).returncode == 0

    def close(self) -> None:
        """Stop every program started here and delete every namespace (and so every veth)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, 15)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        self.made.clear()
