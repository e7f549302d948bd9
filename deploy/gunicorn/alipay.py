"""gunicorn for alipay (Internet): the Alipay open-API simulator and its cashier.

    gunicorn -c deploy/gunicorn/alipay.py 'simulators.alipay:create_app()'

Listens on 0.0.0.0:8600, 1 worker x 8 threads, unless GUNICORN_BIND,
GUNICORN_WORKERS or GUNICORN_THREADS say otherwise. Logs, timeouts and the disabled control
socket are shared by every service: zone_defaults.py.

Development and CI only: in production the cloud calls Alipay itself. One worker,
because the simulator keeps its state in SQLite and runs one notifier thread a worker.
"""

import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("zone_defaults.py")))
globals().update(_shared["settings"]("alipay", port=8600, workers=1, threads=8))
