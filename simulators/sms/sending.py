"""SendSms as the gateway runs it: authenticate the request (key, time, signature, nonce),
check what it asks (phones, sign name, template, parameters), hold the vendor's flow
control, then store one message per phone."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from envelope import clock
from servicekit.db import transaction
from simulators.sms import signing
from simulators.sms.models import Message, Nonce
from simulators.sms.refusals import Refused, missing
from simulators.sms.settings import Settings

ACTION, VERSION = "SendSms", "2017-05-25"
# Mainland numbers, with any of the prefixes the vendor accepts (+, +86, 0086, 86).
_PHONE = re.compile(r"(?:\+86|0086|86|\+)?(1[3-9]\d{9})")
MAX_PHONES = 1000


@dataclass(frozen=True)
class Sent:
    """What the gateway answers for an accepted request."""

    biz_id: str
    phones: tuple[str, ...]


def _timestamp(text: str, now: float, skew: int) -> None:
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise Refused("InvalidTimeStamp.Format") from exc
    if abs(moment.timestamp() - now) > skew:
        raise Refused("InvalidTimeStamp.Expired")


def authenticate(
    settings: Settings, factory: sessionmaker[Session], method: str, params: Mapping[str, str]
) -> None:
    """Refuse a request that is not this key's, is stale, forged or replayed."""
    for name in ("Action", "AccessKeyId", "Signature", "SignatureNonce", "Timestamp"):
        if not params.get(name):
            raise missing(name)
    if params["Action"] != ACTION:
        raise Refused("InvalidAction.NotFound")
    if params.get("Version") != VERSION:
        raise Refused("InvalidVersion")
    if params["AccessKeyId"] != settings.access_key_id:
        raise Refused("InvalidAccessKeyId.NotFound")
    method_ok = params.get("SignatureMethod") == signing.SIGNATURE_METHOD
    if not method_ok or params.get("SignatureVersion") != signing.SIGNATURE_VERSION:
        raise Refused("IncompleteSignature")
    now = time.time()
    _timestamp(params["Timestamp"], now, settings.max_timestamp_skew_seconds)
    if not signing.matches(method, params, settings.access_key_secret):
        raise Refused("SignatureDoesNotMatch")
    _remember_nonce(factory, params["SignatureNonce"], now, settings.max_timestamp_skew_seconds)


def _remember_nonce(factory: sessionmaker[Session], nonce: str, now: float, skew: int) -> None:
    """A nonce is single use for as long as its timestamp could still pass."""
    try:
        with transaction(factory) as session:
            session.query(Nonce).filter(Nonce.seen_epoch < now - 2 * skew).delete()
            session.add(Nonce(nonce=nonce[:128], seen_epoch=now))
    except IntegrityError as exc:
        raise Refused("SignatureNonceUsed") from exc


def _phones(text: str) -> tuple[str, ...]:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > MAX_PHONES:
        raise Refused("isv.MOBILE_NUMBER_ILLEGAL", "手机号码数量超过限制")
    phones = []
    for part in parts:
        match = _PHONE.fullmatch(part)
        if match is None:
            raise Refused("isv.MOBILE_NUMBER_ILLEGAL")
        phones.append(match.group(1))
    return tuple(dict.fromkeys(phones))  # one message per distinct phone


def _template_params(text: str) -> str:
    """TemplateParam: a JSON object whose values are all strings (the vendor's rule)."""
    if not text:
        return "{}"
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise Refused("isv.INVALID_JSON_PARAM") from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise Refused("isv.INVALID_JSON_PARAM")
    return json.dumps(value, ensure_ascii=False)


def _hold_flow_control(
    session: Session, settings: Settings, phone: str, template_code: str, now: float
) -> None:
    """At most per_minute, per_hour and per_day (the natural day) per phone and template."""
    day_start = datetime.combine(clock.today(), datetime.min.time(), clock.SHANGHAI)
    windows = (
        ("分钟级", now - 60, settings.per_minute),
        ("小时级", now - 3600, settings.per_hour),
        ("天级", day_start.timestamp(), settings.per_day),
    )
    for label, since, limit in windows:
        sent = session.scalar(
            select(func.count(Message.id)).where(
                Message.phone == phone,
                Message.template_code == template_code,
                Message.sent_epoch >= since,
            )
        )
        if (sent or 0) >= limit:
            raise Refused("isv.BUSINESS_LIMIT_CONTROL", f"触发{label}流控Permits:{limit}")


def send(settings: Settings, factory: sessionmaker[Session], params: Mapping[str, str]) -> Sent:
    """Check an authenticated request and store its messages, all or none."""
    for name in ("PhoneNumbers", "SignName", "TemplateCode"):
        if not params.get(name):
            raise missing(name)
    phones = _phones(params["PhoneNumbers"])
    if params["SignName"] not in settings.sign_names:
        raise Refused("isv.SMS_SIGNATURE_ILLEGAL")
    if params["TemplateCode"] not in settings.template_codes:
        raise Refused("isv.SMS_TEMPLATE_ILLEGAL")
    template_params = _template_params(params.get("TemplateParam", ""))
    biz_id = f"{secrets.randbelow(10**18):018d}^0"
    now = time.time()
    sent_at = clock.iso(datetime.fromtimestamp(now, UTC))
    with transaction(factory) as session:  # BEGIN IMMEDIATE on SQLite: counts hold
        for phone in phones:
            _hold_flow_control(session, settings, phone, params["TemplateCode"], now)
        for phone in phones:
            session.add(
                Message(
                    biz_id=biz_id,
                    phone=phone,
                    sign_name=params["SignName"],
                    template_code=params["TemplateCode"],
                    params=template_params,
                    out_id=params.get("OutId", "")[:256],
                    sent_at=sent_at,
                    sent_epoch=now,
                )
            )
    return Sent(biz_id, phones)
