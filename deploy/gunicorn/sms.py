"""gunicorn for sms (Internet): the SMS gateway simulator (Alibaba Cloud SMS SendSms).

    gunicorn -c deploy/gunicorn/sms.py 'simulators.sms:create_app()'

Listens on 0.0.0.0:8700, 1 worker x 8 threads, unless GUNICORN_BIND,
GUNICORN_WORKERS or GUNICORN_THREADS say otherwise. Logs, timeouts and the disabled control
socket are shared by every service: zone_defaults.py.

Development and CI only: in production the cloud calls dysmsapi.aliyuncs.com itself.
"""

import runpy
from pathlib import Path

_shared = runpy.run_path(str(Path(__file__).with_name("zone_defaults.py")))
globals().update(_shared["settings"]("sms", port=8700, workers=1, threads=8))
