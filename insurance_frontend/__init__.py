"""insurance_frontend: the hospital's side of the insurance private line (party INSFE).

Speaks the national message format to the insurance center, keeps the insurance ledger,
signs in daily (scheduler.py, a process of its own), and answers 4003 to 4009 (4001 and
4002 are staff commands, refused by envelope with 1007). gunicorn runs
``'insurance_frontend:create_app()'``.
"""

from insurance_frontend.app import create_app
from insurance_frontend.settings import Settings

__all__ = ["Settings", "create_app"]
