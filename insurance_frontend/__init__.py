"""insurance_frontend: the hospital's side of the insurance private line (party INSFE).

Speaks the national message format to the insurance center, keeps the insurance ledger,
signs in daily, and answers 4003, 4004, 4005 and 4007. gunicorn runs
``'insurance_frontend:create_app()'``.
"""

from insurance_frontend.app import create_app
from insurance_frontend.settings import Settings

__all__ = ["Settings", "create_app"]
