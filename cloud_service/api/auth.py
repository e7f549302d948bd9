"""Patients sign in (DESIGN §11): an SMS code, WeChat's or Alipay's authorization code, or
a refresh token answers a bearer token; every other call names its user by that token."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from spectree import Response as Responses

from cloud_service import signin
from cloud_service.api.context import deps
from cloud_service.api.schemas import (
    ErrorOut,
    PhoneIn,
    PhoneOut,
    SmsCodeIn,
    SmsCodeOut,
    TokenIn,
    TokenOut,
)
from cloud_service.api.spec import spec
from cloud_service.errors import Unauthorized
from cloud_service.tokens import Principal
from envelope import codes
from servicekit.masking import mask_phone

bp = Blueprint("auth", __name__, url_prefix="/api/v1")


def current_principal() -> Principal:
    """Who the request's bearer token stands for, or 1003 (absent, expired, revoked)."""
    if "principal" not in g:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthorized()
        g.principal = signin.authenticate(deps(), header[len("Bearer ") :].strip())
    principal: Principal = g.principal
    return principal


def current_user_id() -> str:
    """The user id of the request's bearer token, or 1003."""
    return current_principal().user_id


def _client_address() -> str:
    return request.remote_addr or "unknown"


@bp.post("/auth/sms-codes")
@spec.validate(
    json=SmsCodeIn,
    resp=Responses(HTTP_202=SmsCodeOut, HTTP_400=ErrorOut, HTTP_429=ErrorOut, HTTP_502=ErrorOut),
    tags=["auth"],
    security={},
)
def sms_code(json: SmsCodeIn) -> tuple[SmsCodeOut, int]:
    """Text a six-digit sign-in code to the phone (the same answer for any phone)."""
    signin.send_sign_in_code(deps(), json.phone, _client_address())
    policy = signin.identity(deps()).codes.policy
    return SmsCodeOut(expires_in=policy.ttl_seconds, resend_after=policy.resend_seconds), 202


@bp.post("/auth/tokens")
@spec.validate(
    json=TokenIn,
    resp=Responses(HTTP_200=TokenOut, HTTP_400=ErrorOut, HTTP_401=ErrorOut),
    tags=["auth"],
    security={},
)
def tokens(json: TokenIn) -> TokenOut:
    """Sign in by a grant: sms, wechat, alipay, or refresh (each refresh token once)."""
    done = signin.grant(deps(), json.model_dump(exclude_none=True))
    return TokenOut(
        access_token=done.tokens.access_token,
        expires_in=done.tokens.expires_in,
        refresh_token=done.tokens.refresh_token,
        user_id=done.user_id,
        entry=done.entry,
        phone_verified=done.phone_verified,
    )


@bp.delete("/auth/tokens")
@spec.validate(resp=Responses(HTTP_204=None, HTTP_401=ErrorOut), tags=["auth"])
def sign_out() -> Response:
    """Sign out: this sign-in's access and refresh tokens stop working at once."""
    signin.sign_out(deps(), current_principal())
    return Response(status=204)


@bp.post("/auth/phone")
@spec.validate(
    json=PhoneIn,
    resp=Responses(HTTP_200=PhoneOut, HTTP_400=ErrorOut, HTTP_401=ErrorOut, HTTP_409=ErrorOut),
    tags=["auth"],
)
def verify_phone(json: PhoneIn) -> PhoneOut:
    """A WeChat or Alipay user proves a phone by the code sent to it (once, before binding)."""
    user_id = signin.verify_phone(deps(), current_principal(), json.phone, json.code)
    return PhoneOut(user_id=user_id, phone_masked=mask_phone(json.phone))


@bp.post("/users")
@spec.validate(resp=Responses(HTTP_410=ErrorOut), tags=["auth"], security={})
def users_gone() -> tuple[Response, int]:
    """Signing in by a bare phone number is gone: a phone number proves nothing."""
    answer = jsonify(
        result_code=codes.BAD_SIGNATURE,
        result_msg="此登录方式已停用：请先 POST /api/v1/auth/sms-codes 获取验证码，"
        "再 POST /api/v1/auth/tokens 登录",
    )
    return answer, 410
