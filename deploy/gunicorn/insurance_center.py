"""gunicorn for insurance_center (insurance line): the insurance center simulator.

    gunicorn -c deploy/gunicorn/insurance_center.py 'simulators.insurance_center:create_app()'

Listens on 0.0.0.0:8400, 1 worker x 8 threads, unless GUNICORN_BIND,
GUNICORN_WORKERS or GUNICORN_THREADS say otherwise. Logs, timeouts and the disabled control
socket are shared by every service: zone_defaults.py.

Development and CI only: in production the line leads to the real center. One worker,
because the simulator keeps its state in one SQLite file.
"""

import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("zone_defaults.py")))
globals().update(_shared["settings"]("insurance_center", port=8400, workers=1, threads=8))
