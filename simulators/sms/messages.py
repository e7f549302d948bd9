"""Reading what the gateway sent, for the admin listing and the page."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from servicekit.db import transaction
from simulators.sms.models import Message

PAGE_SIZE = 50


def _params(text: str) -> dict[str, Any]:
    value = json.loads(text or "{}")
    return value if isinstance(value, dict) else {}


def listed(factory: sessionmaker[Session], phone: str = "", limit: int = 500) -> list[Message]:
    """The newest ``limit`` messages (of one phone when given), newest first."""
    query = select(Message).order_by(Message.id.desc()).limit(limit)
    if phone:
        query = query.where(Message.phone == phone)
    with factory() as session:
        return list(session.scalars(query))


def as_json(message: Message) -> dict[str, Any]:
    """The admin listing's shape: {phone, template_code, params, sent_at}."""
    return {
        "phone": message.phone,
        "template_code": message.template_code,
        "params": _params(message.params),
        "sent_at": message.sent_at,
        "sign_name": message.sign_name,
        "biz_id": message.biz_id,
    }


def text_of(message: Message) -> str:
    """The text as the phone shows it: the sign name in 【】, then the template filled in."""
    params = _params(message.params)
    if "code" in params:
        body = f"您的验证码为{params['code']}，5分钟内有效，请勿泄露给他人。"
    else:
        body = "，".join(f"{name}：{value}" for name, value in params.items()) or "（无参数）"
    return f"【{message.sign_name}】{body}"


def clear(factory: sessionmaker[Session]) -> None:
    """Forget every message (and with them the flow-control counts)."""
    with transaction(factory) as session:
        session.execute(delete(Message))
