"""gunicorn for wechatpay (Internet): the WeChat Pay API v3 simulator and its cashier.

    gunicorn -c deploy/gunicorn/wechatpay.py 'simulators.wechatpay:create_app()'

Listens on 0.0.0.0:8500, 1 worker x 8 threads, unless GUNICORN_BIND,
GUNICORN_WORKERS or GUNICORN_THREADS say otherwise. Logs, timeouts and the disabled control
socket are shared by every service: zone_defaults.py.

Development and CI only: in production the cloud calls WeChat Pay itself. One worker,
because the simulator keeps its state in SQLite and runs one notifier thread a worker.
"""

import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("zone_defaults.py")))
globals().update(_shared["settings"]("wechatpay", port=8500, workers=1, threads=8))
