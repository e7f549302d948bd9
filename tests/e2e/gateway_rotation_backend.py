"""A stand-in integration_platform for the key-rotation test: serves 2001 on the HIP link.

Its link keys come from the KEY=VALUE file named by ROTATION_BACKEND_KEYS, read by each
worker when it starts, so a gunicorn HUP makes it sign with a rotated key.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from envelope import CLOUD, HIP, EnvelopeEndpoint, Link, MemoryNonceStore, Verifier
from hospital_gateway.settings import read_settings_file
from servicekit import web
from servicekit.config import link_ring


def create_app() -> Flask:
    """The fake HIP: verifies with its ring, answers the department list."""
    ring = link_ring(read_settings_file(Path(os.environ["ROTATION_BACKEND_KEYS"])), HIP)
    verifier = Verifier([Link(ring, frozenset({CLOUD}))], MemoryNonceStore())
    endpoint = EnvelopeEndpoint(HIP, verifier, {"2001": lambda _i: {"departments": []}})
    app = Flask("rotation_backend")
    app.register_blueprint(endpoint.blueprint())
    web.install_common(app, "rotation_backend")
    return app
