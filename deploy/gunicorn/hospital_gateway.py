"""gunicorn for hospital_gateway (DMZ): POST /gateway, the only door between the zones.

    gunicorn -c deploy/gunicorn/hospital_gateway.py 'hospital_gateway:create_app()'

Listens on 0.0.0.0:8100, 2 workers x 8 threads, unless GUNICORN_BIND,
GUNICORN_WORKERS or GUNICORN_THREADS say otherwise. Logs, timeouts and the disabled control
socket are shared by every service: zone_defaults.py.
"""

import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("zone_defaults.py")))
globals().update(_shared["settings"]("hospital_gateway", port=8100, workers=2, threads=8))
