"""Who WeChat knows: the official accounts (appid and AppSecret) and the test WeChat users,
and the openid each user has under each appid.

As in WeChat, an openid is stable for one (appid, user) and differs between appids; it is
derived, not stored, so every worker and every restart agrees on it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from simulators.wechatpay.settings import Settings

# Real openids are 28 characters of [A-Za-z0-9_-] beginning with "o".
_OPENID_BODY = 27


@dataclass(frozen=True)
class Directory:
    """The apps (appid -> secret) and the users, with their openids per appid."""

    apps: dict[str, str]
    users: tuple[str, ...]
    salt: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> Directory:
        """Our official account first, then the other accounts the settings name."""
        apps = {settings.appid: settings.app_secret}
        for appid, secret in settings.other_apps:
            apps.setdefault(appid, secret)
        # The APIv3 key salts the derivation, so openids are not guessable from names alone.
        return cls(apps, settings.test_users, settings.apiv3_key.encode())

    def openid(self, appid: str, user: str) -> str:
        """The user's openid under this appid."""
        digest = hmac.new(self.salt, f"{appid}\n{user}".encode(), hashlib.sha256).digest()
        return "o" + base64.urlsafe_b64encode(digest).decode()[:_OPENID_BODY]

    def owner(self, openid: str) -> tuple[str, str] | None:
        """(appid, user) of an openid this simulator issued, or None."""
        for appid in self.apps:
            for user in self.users:
                if hmac.compare_digest(self.openid(appid, user), openid):
                    return appid, user
        return None

    def secret_matches(self, appid: str, secret: str) -> bool:
        """True when ``secret`` is this appid's AppSecret."""
        known = self.apps.get(appid, "")
        return bool(known) and hmac.compare_digest(known.encode(), secret.encode())
