"""gunicorn for cloud_service (Internet zone): the patient API, H5 pages and channel notifications.

    gunicorn -c deploy/gunicorn/cloud_service.py 'cloud_service:create_app()'

Listens on 0.0.0.0:8000, 2 workers x 4 threads, unless GUNICORN_BIND,
GUNICORN_WORKERS or GUNICORN_THREADS say otherwise. Logs, timeouts and the disabled control
socket are shared by every service: zone_defaults.py.
"""

import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("zone_defaults.py")))
globals().update(_shared["settings"]("cloud_service", port=8000, workers=2, threads=4))
