"""gunicorn for insurance_frontend (intranet, insurance line): POST /envelope, the ledger.

    gunicorn -c deploy/gunicorn/insurance_frontend.py 'insurance_frontend:create_app()'

Listens on 0.0.0.0:8300, 2 workers x 4 threads, unless GUNICORN_BIND,
GUNICORN_WORKERS or GUNICORN_THREADS say otherwise. Logs, timeouts and the disabled control
socket are shared by every service: zone_defaults.py.
"""

import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("zone_defaults.py")))
globals().update(_shared["settings"]("insurance_frontend", port=8300, workers=2, threads=4))
