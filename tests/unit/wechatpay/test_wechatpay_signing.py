"""The simulator's signatures agree with the real wechatpayv3 library's."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from wechatpayv3.utils import aes_decrypt, build_authorization, load_private_key, rsa_verify

from simulators.wechatpay.signing import (
    Platform,
    SignatureRejected,
    seal_resource,
    signed_headers,
    verify_request,
)

PATH = "/v3/pay/transactions/out-trade-no/ORD1?mchid=1900000001"


def _authorization(keys: Path, body: str = "", serial: str = "UNITSERIAL") -> str:
    key = load_private_key((keys / "merchant_private.pem").read_text())
    return build_authorization(PATH, "GET", "1900000001", serial, key, data=body)


def test_header_built_by_wechatpayv3_verifies(platform: Platform, keys: Path) -> None:
    verify_request(platform, "GET", PATH, b"", _authorization(keys))


def test_signed_body_must_match_the_raw_bytes(platform: Platform, keys: Path) -> None:
    body = json.dumps({"mchid": "1900000001"})
    header = build_authorization(
        PATH,
        "POST",
        "1900000001",
        "UNITSERIAL",
        load_private_key((keys / "merchant_private.pem").read_text()),
        data=body,
    )
    verify_request(platform, "POST", PATH, body.encode(), header)
    with pytest.raises(SignatureRejected):
        verify_request(platform, "POST", PATH, body.encode() + b" ", header)


def test_timestamp_more_than_five_minutes_off_is_rejected(platform: Platform, keys: Path) -> None:
    with pytest.raises(SignatureRejected, match="5分钟"):
        verify_request(platform, "GET", PATH, b"", _authorization(keys), now=time.time() + 301)


def test_unknown_merchant_serial_is_rejected(platform: Platform, keys: Path) -> None:
    with pytest.raises(SignatureRejected):
        verify_request(platform, "GET", PATH, b"", _authorization(keys, serial="OTHER"))


def test_other_scheme_or_missing_parameters_are_rejected(platform: Platform) -> None:
    with pytest.raises(SignatureRejected):
        verify_request(platform, "GET", PATH, b"", "Bearer abc")
    with pytest.raises(SignatureRejected):
        verify_request(platform, "GET", PATH, b"", 'WECHATPAY2-SHA256-RSA2048 mchid="1"')


def test_answer_headers_verify_with_the_platform_public_key(platform: Platform) -> None:
    body = '{"code":"PARAM_ERROR","message":"参数错误"}'
    headers = signed_headers(platform, body.encode())
    assert headers["Wechatpay-Serial"] == "PUB_KEY_ID_UNIT"
    assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    public_key = platform.private_key.public_key()
    assert rsa_verify(
        headers["Wechatpay-Timestamp"],
        headers["Wechatpay-Nonce"],
        body,
        headers["Wechatpay-Signature"],
        public_key,
    )
    assert not rsa_verify(
        headers["Wechatpay-Timestamp"],
        headers["Wechatpay-Nonce"],
        body + " ",
        headers["Wechatpay-Signature"],
        public_key,
    )


def test_sealed_resource_opens_with_the_apiv3_key(platform: Platform) -> None:
    resource = seal_resource(platform.apiv3_key, {"trade_state": "SUCCESS"}, "transaction")
    assert resource["algorithm"] == "AEAD_AES_256_GCM" and len(resource["nonce"]) == 12
    plain = aes_decrypt(
        resource["nonce"], resource["ciphertext"], "transaction", platform.apiv3_key
    )
    assert json.loads(plain) == {"trade_state": "SUCCESS"}
    assert aes_decrypt(resource["nonce"], resource["ciphertext"], "transaction", "x" * 32) is None
