"""gunicorn for integration_platform (hospital intranet): POST /envelope, the HIS interfaces.

    gunicorn -c deploy/gunicorn/integration_platform.py 'integration_platform:create_app()'

Listens on 0.0.0.0:8200, 2 workers x 4 threads, unless GUNICORN_BIND,
GUNICORN_WORKERS or GUNICORN_THREADS say otherwise. Logs, timeouts and the disabled control
socket are shared by every service: zone_defaults.py.
"""

import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("zone_defaults.py")))
globals().update(_shared["settings"]("integration_platform", port=8200, workers=2, threads=4))
