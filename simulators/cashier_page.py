"""The payment simulators' shared cashier page: ``simulators_cashier.html``, which each
channel's own page extends with its colours, wording and what its buttons answer."""

from __future__ import annotations

from flask import Blueprint

# no routes: registering it puts simulators/templates on the app's template path
templates = Blueprint("simulators_pages", __name__, template_folder="templates")
