"""App users and the hospital records they bind, each only with proof (DESIGN §4, §11)."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud_service.channels.base import ChannelError
from cloud_service.deps import Deps, Identity
from cloud_service.errors import CloudError
from cloud_service.hospital import ask, require_ok_as
from cloud_service.models import AppUser, Binding, Order
from cloud_service.sms_codes import WRONG_CODE
from envelope import clock, codes
from envelope.messages.his import PatientCreate, PatientQuery
from envelope.messages.his_answers import PatientCreated, PatientQueryAnswer
from servicekit.db import transaction
from servicekit.idcard import InvalidIdCard, parse_id_card
from servicekit.masking import mask_id_card, mask_phone

log = logging.getLogger(__name__)
PENDING_KEY = "cloud:auth:pending:"


MAX_BINDINGS = 5
CHILD_AGE = 14  # below it, a record may carry the guardian's phone (DESIGN §11)
NOT_VERIFIABLE = "无法核验该就诊人的身份信息，请核对姓名和身份证号，或到医院窗口办理绑定"
PENDING_SECONDS = 300
PHONE_TAKEN = "该账号已验证其他手机号，或该手机号已被其他账号使用"


@dataclass(frozen=True)
class PendingBinding:
    """A record found in the HIS whose phone is not the user's: a code went to it."""

    binding_id: str
    phone_masked: str


def register_user(deps: Deps, phone: str) -> str:
    """The user id of a verified phone number, creating the user the first time."""
    return _user_by(deps, AppUser.phone, phone, phone=phone)


def user_of_wechat(deps: Deps, openid: str) -> str:
    """The user id of a WeChat openid (from the official account's OAuth), created once."""
    return _user_by(deps, AppUser.wechat_openid, openid, wechat_openid=openid)


def user_of_alipay(deps: Deps, buyer_id: str) -> str:
    """The user id of an Alipay user id (from the service window's OAuth), created once."""
    return _user_by(deps, AppUser.alipay_user_id, buyer_id, alipay_user_id=buyer_id)


def _user_by(deps: Deps, column: Any, value: str, **fields: str) -> str:
    for _ in range(2):  # a concurrent first sign-in of the same person created it meanwhile
        try:
            with transaction(deps.sessions) as session:
                user = session.scalar(select(AppUser).where(column == value))
                if user is None:
                    user = AppUser(user_id="U" + secrets.token_hex(8), **fields)
                    session.add(user)
                return user.user_id
        except IntegrityError:
            continue
    raise CloudError(codes.INTERNAL, "用户创建失败，请重试")


def user_phone(deps: Deps, user_id: str) -> str | None:
    """The user's verified phone, or None (a WeChat or Alipay user who has not verified one)."""
    with deps.sessions() as session:
        user = session.get(AppUser, user_id)
    return user.phone if user is not None else None


def attach_phone(deps: Deps, user_id: str, phone: str) -> str:
    """Give a WeChat or Alipay user the phone they just proved by SMS. When the phone is
    already another user's (they signed in by SMS before) and this user has nothing yet, the
    app identity joins that user, whose id is answered; otherwise 2014."""
    with transaction(deps.sessions) as session:
        user = session.get_one(AppUser, user_id)
        if user.phone == phone:
            return user_id
        owner = session.scalar(select(AppUser).where(AppUser.phone == phone))
        if owner is None and user.phone is None:
            user.phone = phone
            return user_id
        if owner is None or not _may_join(session, user, owner):
            raise CloudError(codes.ORDER_STATE_CONFLICT, PHONE_TAKEN)
        openid, buyer = user.wechat_openid, user.alipay_user_id
        session.delete(user)  # first: its app ids are unique, and they move to the owner
        session.flush()
        owner.wechat_openid = owner.wechat_openid or openid
        owner.alipay_user_id = owner.alipay_user_id or buyer
        return owner.user_id


def _may_join(session: Session, user: AppUser, owner: AppUser) -> bool:
    """An app identity may join the phone's user only when it holds nothing of its own and
    the owner has no other identity of that app."""
    if user.phone is not None:
        return False
    if user.wechat_openid and owner.wechat_openid:
        return False
    if user.alipay_user_id and owner.alipay_user_id:
        return False
    has = session.scalar(select(Binding.id).where(Binding.user_id == user.user_id).limit(1))
    ordered = session.scalar(select(Order.order_no).where(Order.user_id == user.user_id).limit(1))
    return has is None and ordered is None


def find_record(
    deps: Deps, user_id: str, id_card_no: str, name: str, trace_id: str
) -> tuple[dict[str, Any], str, str, str]:
    """The HIS record of an ID card number and name (1001; created by 1002 with the user's
    verified phone when absent), with the number, the user's phone and the relationship."""
    try:
        card = parse_id_card(id_card_no)
    except InvalidIdCard as exc:
        raise CloudError(codes.INVALID_ID_CARD, "身份证号码有误，请核对") from exc
    phone = user_phone(deps, user_id)
    if not phone:
        raise CloudError(codes.PHONE_NOT_VERIFIED, "请先验证手机号，再绑定就诊人")
    query = PatientQuery(id_card_no=card.number, name=name)
    patient = _query(deps, query, user_id, trace_id)
    if not patient.exists:
        create = PatientCreate(
            id_card_no=card.number,
            name=name,
            phone=phone,
            gender=card.gender,
            birth_date=card.birth_date.isoformat(),
        )
        created = ask(deps.hospital, create, trace_id=trace_id, operator=user_id)
        if created.result_code == codes.PATIENT_MISMATCH:  # "registered under another name"
            raise CloudError(codes.PATIENT_MISMATCH, NOT_VERIFIABLE)
        require_ok_as(created, PatientCreated)
        patient = _query(deps, query, user_id, trace_id)
        if not patient.exists:
            raise CloudError(codes.PATIENT_MISMATCH, NOT_VERIFIABLE)
    relation = "CHILD" if _age(card.birth_date) < CHILD_AGE else ""
    return patient.model_dump(), card.number, phone, relation


def _query(deps: Deps, query: PatientQuery, user_id: str, trace_id: str) -> PatientQueryAnswer:
    reply = ask(deps.hospital, query, trace_id=trace_id, operator=user_id)
    return require_ok_as(reply, PatientQueryAnswer)


def _age(birth: date) -> int:
    today = clock.today()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def bind_record(
    deps: Deps, user_id: str, id_card_no: str, name: str, trace_id: str, client_address: str
) -> Binding | PendingBinding:
    """Bind a hospital record once it is proven the user's (DESIGN §11): at once when the
    record's phone is the user's verified phone; else a code goes to the record's phone and
    :func:`confirm_binding` binds; a record with no phone is bound at the window (2019)."""
    patient, number, phone, relation = find_record(deps, user_id, id_card_no, name, trace_id)
    bound = _bound(deps, user_id, patient["mrn"])
    if bound is not None:
        return bound
    if len(list_bindings(deps, user_id)) >= MAX_BINDINGS:
        raise CloudError(codes.BINDING_LIMIT, f"每个账号最多绑定 {MAX_BINDINGS} 位就诊人")
    record_phone = str(patient.get("phone") or "")
    if not record_phone:
        raise CloudError(codes.BIND_AT_WINDOW, "该就诊人未登记手机号，请到医院窗口办理绑定")
    if record_phone == phone:
        return save_binding(deps, user_id, patient, number, name, relation)
    return _send_binding_code(deps, user_id, patient, number, name, relation, client_address)


def _send_binding_code(
    deps: Deps,
    user_id: str,
    patient: dict[str, Any],
    number: str,
    name: str,
    relation: str,
    client_address: str,
) -> PendingBinding:
    identity = identity_of(deps)
    binding_id = secrets.token_urlsafe(16)
    record_phone = str(patient["phone"])
    pending = {
        "user_id": user_id,
        "patient": {k: patient.get(k) for k in ("mrn", "patient_type", "insured")},
        "id_card_masked": mask_id_card(number),
        "name": name,
        "relation": relation,
    }
    identity.pending.set(
        PENDING_KEY + binding_id, json.dumps(pending, ensure_ascii=False), ex=PENDING_SECONDS
    )
    send_code(deps, "binding:" + binding_id, record_phone, client_address)
    return PendingBinding(binding_id, mask_phone(record_phone))


def send_code(deps: Deps, subject: str, phone: str, client_address: str) -> None:
    """Issue a code for the subject and text it to the phone; 3004 when it cannot be sent."""
    identity = identity_of(deps)
    code = identity.codes.issue(subject, phone, client_address)
    try:
        identity.sms.send_code(phone, code)
    except ChannelError as exc:
        identity.codes.withdraw(subject)
        log.warning("sms code not sent: %s", type(exc).__name__)
        raise CloudError(codes.PEER_UNAVAILABLE, "短信发送失败，请稍后再试") from exc


def confirm_binding(deps: Deps, user_id: str, binding_id: str, code: str) -> Binding:
    """Bind the record a code was texted to, once the code is right (2017 otherwise)."""
    identity = identity_of(deps)
    raw = identity.pending.get(PENDING_KEY + binding_id) if len(binding_id) < 64 else None
    pending = json.loads(raw) if raw else None
    if pending is None or pending.get("user_id") != user_id:
        raise CloudError(codes.VERIFY_CODE_INVALID, WRONG_CODE)
    identity.codes.check("binding:" + binding_id, code)
    identity.pending.delete(PENDING_KEY + binding_id)
    if len(list_bindings(deps, user_id)) >= MAX_BINDINGS:
        raise CloudError(codes.BINDING_LIMIT, f"每个账号最多绑定 {MAX_BINDINGS} 位就诊人")
    return _insert_or_existing(
        deps,
        Binding(
            user_id=user_id,
            mrn=pending["patient"]["mrn"],
            patient_name=pending["name"],
            id_card_masked=pending["id_card_masked"],
            patient_type=pending["patient"].get("patient_type") or "SELF_PAY",
            insured=bool(pending["patient"].get("insured")),
            relation=pending["relation"],
        ),
    )


def identity_of(deps: Deps) -> Identity:
    """The sign-in machinery (codes, tokens, the SMS sender), or 3004 when this process has
    none."""
    if deps.identity is None:
        raise CloudError(codes.PEER_UNAVAILABLE, "登录服务暂不可用")
    return deps.identity


def _bound(deps: Deps, user_id: str, mrn: str) -> Binding | None:
    with deps.sessions() as session:
        return session.scalar(select(Binding).where(Binding.user_id == user_id, Binding.mrn == mrn))


def save_binding(
    deps: Deps, user_id: str, patient: dict[str, Any], id_card_no: str, name: str, relation: str
) -> Binding:
    """Bind a record already proven the user's (an existing binding of it stands)."""
    return _insert_or_existing(
        deps,
        Binding(
            user_id=user_id,
            mrn=patient["mrn"],
            patient_name=name,
            id_card_masked=mask_id_card(id_card_no),
            patient_type=patient.get("patient_type", "SELF_PAY"),
            insured=bool(patient.get("insured")),
            relation=relation,
        ),
    )


def _insert_or_existing(deps: Deps, binding: Binding) -> Binding:
    try:
        with transaction(deps.sessions) as session:
            session.add(binding)
        return binding
    except IntegrityError:
        # The same user bound the same record in a concurrent request: that binding stands.
        return binding_of(deps, binding.user_id, binding.mrn)


def list_bindings(deps: Deps, user_id: str) -> list[Binding]:
    """The records bound to an app user."""
    with deps.sessions() as session:
        return list(
            session.scalars(select(Binding).where(Binding.user_id == user_id).order_by(Binding.id))
        )


def unbind(deps: Deps, user_id: str, mrn: str) -> None:
    """Remove the user's binding of ``mrn`` (2011 when it is not bound to this user)."""
    with transaction(deps.sessions) as session:
        removed = session.execute(
            delete(Binding).where(Binding.user_id == user_id, Binding.mrn == mrn)
        )
        if removed.rowcount != 1:  # type: ignore[attr-defined]
            raise CloudError(codes.PATIENT_MISMATCH, "该就诊人未绑定到您的账号")


def binding_of(deps: Deps, user_id: str, mrn: str, session: Session | None = None) -> Binding:
    """The user's binding of ``mrn``, or 2011: nobody acts on another patient's record.
    Read in ``session`` when given (the caller's transaction), else in a session of its own."""
    query = select(Binding).where(Binding.user_id == user_id, Binding.mrn == mrn)
    if session is not None:
        binding = session.scalar(query)
    else:
        with deps.sessions() as own:
            binding = own.scalar(query)
    if binding is None:
        raise CloudError(codes.PATIENT_MISMATCH, "该就诊人未绑定到您的账号")
    return binding
