"""The page a person trying the system reads their code on: messages sent, newest first."""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request

from simulators.sms import messages
from simulators.sms.state import current

bp = Blueprint("pages", __name__, template_folder="templates")
_DIGITS = re.compile(r"\d{1,11}")


def message_page() -> str:
    """The messages of one phone (``?phone=``) or of everyone, newest first."""
    phone = request.args.get("phone", "").strip()
    if phone and not _DIGITS.fullmatch(phone):
        phone = ""  # a malformed filter shows everything rather than an error page
    rows = messages.listed(current().factory, phone, limit=messages.PAGE_SIZE)
    shown = [
        {"phone": row.phone, "text": messages.text_of(row), "sent_at": row.sent_at} for row in rows
    ]
    return render_template("sms_messages.html", messages=shown, phone=phone)


@bp.get("/messages")
def messages_view() -> str:
    """The same page at /messages."""
    return message_page()
