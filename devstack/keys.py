"""Development key pairs for the payment channels, generated on first run, never committed.

Development only: production keys come from the merchant platforms, never from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

# (private key setting, public key setting): the two halves of one RSA pair.
KEY_PAIRS: tuple[tuple[str, str], ...] = (
    ("WECHAT_MERCHANT_PRIVATE_KEY_PATH", "WECHAT_MERCHANT_PUBLIC_KEY_PATH"),
    ("WECHAT_PLATFORM_PRIVATE_KEY_PATH", "WECHAT_PUBLIC_KEY_PATH"),
    ("ALIPAY_APP_PRIVATE_KEY_PATH", "ALIPAY_APP_PUBLIC_KEY_PATH"),
    ("ALIPAY_PLATFORM_PRIVATE_KEY_PATH", "ALIPAY_PUBLIC_KEY_PATH"),
)


def _resolve(root: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else root / path


def write_key_pair(private_path: Path, public_path: Path) -> None:
    """Write a fresh RSA-2048 pair: PKCS8 private key and SubjectPublicKeyInfo public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for path in (private_path, public_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(private_pem)
    private_path.chmod(0o600)
    public_path.write_bytes(public_pem)


def ensure_dev_keys(root: Path, env: Mapping[str, str]) -> None:
    """Generate every key pair named in ``env`` whose private key file does not exist yet."""
    for private_name, public_name in KEY_PAIRS:
        private_value = env.get(private_name, "").strip()
        public_value = env.get(public_name, "").strip()
        if not private_value or not public_value:
            continue
        private_path = _resolve(root, private_value)
        if not private_path.exists():
            write_key_pair(private_path, _resolve(root, public_value))
