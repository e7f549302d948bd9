"""Alipay's RSA2 signatures: merchant requests verified with the app public key; answers
and notifications signed with the platform private key (SHA256withRSA, base64)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from envelope import clock

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
REQUIRED_PARAMS = ("app_id", "method", "sign", "sign_type", "timestamp", "version")


class SignatureRejected(Exception):
    """A request refused before its method runs, with the gateway's code and sub_code."""

    def __init__(self, code: str, msg: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(f"{code} {sub_code}: {sub_msg}")
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg


@dataclass(frozen=True)
class Platform:
    """The simulated platform's key material, its main app and any further apps."""

    private_key: rsa.RSAPrivateKey
    app_public_key: rsa.RSAPublicKey
    app_id: str
    seller_id: str
    other_app_keys: Mapping[str, rsa.RSAPublicKey] = field(default_factory=dict)

    def app_key(self, app_id: str) -> rsa.RSAPublicKey | None:
        """The public key of a known app, None for an app the platform does not know."""
        if app_id == self.app_id:
            return self.app_public_key
        return self.other_app_keys.get(app_id)

    def knows(self, app_id: str) -> bool:
        """True for the main app and every further app."""
        return self.app_key(app_id) is not None


def _public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("Alipay keys must be RSA")
    return key


def load_platform(
    private_pem: bytes,
    app_public_pem: bytes,
    app_id: str,
    seller_id: str,
    other_apps: Mapping[str, bytes] | None = None,
) -> Platform:
    """Build the platform's key material from PEM bytes (``other_apps``: app_id -> PEM)."""
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("Alipay keys must be RSA")
    others = {other: _public_key(pem) for other, pem in (other_apps or {}).items()}
    return Platform(private_key, _public_key(app_public_pem), app_id, seller_id, others)


def content(params: Mapping[str, str], exclude: tuple[str, ...]) -> str:
    """The text Alipay signs: non-empty parameters sorted by name, ``k=v`` joined by ``&``."""
    return "&".join(
        f"{key}={params[key]}" for key in sorted(params) if key not in exclude and params[key]
    )


def sign(private_key: rsa.RSAPrivateKey, text: str) -> str:
    """SHA256withRSA over the UTF-8 text, base64."""
    signature = private_key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def signature_ok(public_key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    """True when ``signature`` is a valid SHA256withRSA signature of ``text``."""
    try:
        raw = base64.b64decode(signature, validate=False)
        public_key.verify(raw, text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _missing(params: Mapping[str, str]) -> None:
    for name in REQUIRED_PARAMS:
        if not params.get(name):
            raise SignatureRejected(
                "40001",
                "Missing Required Arguments",
                f"isv.missing-{name.replace('_', '-')}",
                f"缺少{name}参数",
            )


def _check_timestamp(text: str, max_skew_seconds: int, now: datetime) -> None:
    try:
        sent = datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=clock.SHANGHAI)
    except ValueError as exc:
        raise SignatureRejected(
            "40002", "Invalid Arguments", "isv.invalid-timestamp", "非法的时间戳参数"
        ) from exc
    if abs((now - sent).total_seconds()) > max_skew_seconds:
        raise SignatureRejected(
            "40002",
            "Invalid Arguments",
            "isv.invalid-timestamp",
            "非法的时间戳参数，与网关时间相差过大",
        )


def verify_request(
    platform: Platform,
    params: Mapping[str, str],
    max_skew_seconds: int,
    now: datetime | None = None,
) -> None:
    """Check app_id, timestamp and the RSA2 sign of a request (all parameters but sign)."""
    _missing(params)
    app_key = platform.app_key(params["app_id"])
    if app_key is None:
        raise SignatureRejected(
            "40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数"
        )
    if params["sign_type"] != "RSA2":
        raise SignatureRejected(
            "40002", "Invalid Arguments", "isv.invalid-signature-type", "无效的签名类型"
        )
    _check_timestamp(params["timestamp"], max_skew_seconds, now or clock.now())
    text = content(params, exclude=("sign",))
    if not signature_ok(app_key, text, params["sign"]):
        raise SignatureRejected(
            "40002",
            "Invalid Arguments",
            "isv.invalid-signature",
            f"验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{text}",
        )


def response_text(platform: Platform | None, method: str, payload: dict[str, Any]) -> str:
    """``{"<method>_response": {...}, "sign": "..."}``, the sign over the object's exact text;
    no sign when ``platform`` is None (the app is unknown, so there is no key to use)."""
    key = method.replace(".", "_") + "_response" if method else "error_response"
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    head = json.dumps(key)
    if platform is None:
        return f"{{{head}:{body}}}"
    return f'{{{head}:{body},"sign":"{sign(platform.private_key, body)}"}}'


def sign_notification(platform: Platform, fields: dict[str, str]) -> dict[str, str]:
    """The notification form with sign_type RSA2 and the sign over all but sign and sign_type."""
    form = {key: value for key, value in fields.items() if value}
    form["sign_type"] = "RSA2"
    form["sign"] = sign(platform.private_key, content(form, exclude=("sign", "sign_type")))
    return form
