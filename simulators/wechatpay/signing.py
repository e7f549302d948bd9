"""The WeChat Pay API v3 signatures: merchant requests verified, answers and notifications
signed with the platform key, notification resources sealed with the APIv3 key."""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW_SECONDS = 300
_PARAM = re.compile(r'(\w+)="([^"]*)"')
_NONCE_ALPHABET = string.ascii_letters + string.digits


class SignatureRejected(Exception):
    """The merchant's Authorization header is missing, malformed, stale or wrong."""


@dataclass(frozen=True)
class Platform:
    """The simulated platform's key material."""

    private_key: rsa.RSAPrivateKey
    public_key_id: str
    merchant_public_key: rsa.RSAPublicKey
    mchid: str
    merchant_serial_no: str
    apiv3_key: str


def load_platform(
    private_pem: bytes,
    public_key_id: str,
    merchant_public_pem: bytes,
    mchid: str,
    merchant_serial_no: str,
    apiv3_key: str,
) -> Platform:
    """Build the platform's key material from PEM bytes."""
    private_key = serialization.load_pem_private_key(private_pem, password=None)
    merchant_key = serialization.load_pem_public_key(merchant_public_pem)
    if not isinstance(private_key, rsa.RSAPrivateKey) or not isinstance(
        merchant_key, rsa.RSAPublicKey
    ):
        raise ValueError("WeChat Pay keys must be RSA")
    return Platform(private_key, public_key_id, merchant_key, mchid, merchant_serial_no, apiv3_key)


def nonce(length: int = 32) -> str:
    """A random alphanumeric string, as WeChat Pay uses for nonces."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def parse_authorization(header: str) -> dict[str, str]:
    """The parameters of ``WECHATPAY2-SHA256-RSA2048 mchid="..",...``."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme != SCHEME:
        raise SignatureRejected("Authorization 认证类型错误")
    params = dict(_PARAM.findall(rest))
    missing = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"} - params.keys()
    if missing:
        raise SignatureRejected(f"Authorization 缺少参数 {sorted(missing)}")
    return params


def verify_request(
    platform: Platform,
    method: str,
    uri: str,
    body: bytes,
    header: str,
    now: float | None = None,
) -> None:
    """Check a merchant request's Authorization; raise SignatureRejected when it fails."""
    params = parse_authorization(header)
    if params["mchid"] != platform.mchid:
        raise SignatureRejected("商户号与签名不匹配")
    if params["serial_no"] != platform.merchant_serial_no:
        raise SignatureRejected("商户证书序列号有误")
    try:
        timestamp = int(params["timestamp"])
    except ValueError as exc:
        raise SignatureRejected("时间戳格式错误") from exc
    if abs((now if now is not None else time.time()) - timestamp) > MAX_SKEW_SECONDS:
        raise SignatureRejected("请求时间与服务器时间相差超过5分钟")
    message = f"{method}\n{uri}\n{params['timestamp']}\n{params['nonce_str']}\n".encode()
    try:
        signature = base64.b64decode(params["signature"], validate=True)
        platform.merchant_public_key.verify(
            signature, message + body + b"\n", padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError) as exc:
        raise SignatureRejected("签名错误") from exc


def signed_headers(platform: Platform, body: bytes) -> dict[str, str]:
    """The Wechatpay-* headers that sign an answer or a notification body."""
    timestamp = str(int(time.time()))
    nonce_str = nonce()
    message = f"{timestamp}\n{nonce_str}\n".encode() + body + b"\n"
    signature = platform.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce_str,
        "Wechatpay-Signature": base64.b64encode(signature).decode(),
        "Wechatpay-Serial": platform.public_key_id,
        "Wechatpay-Signature-Type": SCHEME,
    }


def seal_resource(apiv3_key: str, plaintext: dict[str, Any], original_type: str) -> dict[str, str]:
    """The notification ``resource``: AEAD_AES_256_GCM with the APIv3 key, base64."""
    nonce_str = nonce(12)
    data = json.dumps(plaintext, ensure_ascii=False, separators=(",", ":")).encode()
    sealed = AESGCM(apiv3_key.encode()).encrypt(nonce_str.encode(), data, original_type.encode())
    return {
        "original_type": original_type,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "associated_data": original_type,
        "nonce": nonce_str,
    }
