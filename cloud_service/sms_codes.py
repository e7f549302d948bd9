"""One-time SMS codes (DESIGN §11): 6 digits from a CSPRNG, valid 300 s, single use, kept
only as an HMAC, ended by the fifth wrong try; at most one code a phone a minute and ten a
day, and a limit per client address. Whether the system knows the phone changes nothing.

A code belongs to a subject: ``phone:<number>`` for signing in or verifying a phone, and
``binding:<id>`` for the code texted to a hospital record's phone before it is bound.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from limits import RateLimitItemPerDay, RateLimitItemPerHour, RateLimitItemPerSecond
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis

from cloud_service.errors import CloudError
from envelope import codes

PREFIX = "cloud:auth:code:"
PHONE = re.compile(r"^1[3-9]\d{9}$")
WRONG_CODE = "验证码错误或已失效，请重新获取"

# Check a code's HMAC: a match ends the code (single use); a miss counts a try, and the
# last allowed try ends it too. 1 matched, 0 wrong, -1 no code (never sent, used, expired).
_VERIFY = """
local stored = redis.call('HGET', KEYS[1], 'mac')
if not stored then return -1 end
if stored == ARGV[1] then redis.call('DEL', KEYS[1]); return 1 end
local tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
if tries >= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class CodePolicy:
    """The rules of section 11, as settings (tests shorten the waits)."""

    ttl_seconds: int = 300
    max_tries: int = 5
    resend_seconds: int = 60
    per_phone_daily: int = 10
    per_address_hourly: int = 30


def check_phone(phone: str) -> str:
    """A mainland mobile number, or 1009."""
    if not isinstance(phone, str) or not PHONE.match(phone):
        raise CloudError(codes.BODY_INVALID, "请输入正确的11位手机号码")
    return phone


class SmsCodes:
    """Issue and check codes in Redis, with the send limits in the ``limits`` storage."""

    def __init__(self, redis: Redis, storage: Storage, secret: str, policy: CodePolicy) -> None:
        self.redis = redis
        self.policy = policy
        self._secret = secret.encode()
        self._limiter = MovingWindowRateLimiter(storage)
        self._verify = redis.register_script(_VERIFY)
        self._per_phone = (
            RateLimitItemPerSecond(1, policy.resend_seconds),
            RateLimitItemPerDay(policy.per_phone_daily),
        )
        self._per_address = RateLimitItemPerHour(policy.per_address_hourly)

    def issue(self, subject: str, phone: str, client_address: str) -> str:
        """A new code for the subject, texted to ``phone`` by the caller; 1008 when the phone
        or the address has had its share. The limits count the phone a code goes to."""
        if not self._limiter.hit(self._per_address, "address", client_address):
            raise CloudError(codes.RATE_LIMITED, "请求过于频繁，请稍后再试")
        for item in self._per_phone:
            if not self._limiter.test(item, "phone", phone):
                raise CloudError(codes.RATE_LIMITED, "验证码发送过于频繁，请稍后再试")
        for item in self._per_phone:
            self._limiter.hit(item, "phone", phone)
        code = f"{secrets.randbelow(10**6):06d}"
        key = PREFIX + subject
        with self.redis.pipeline() as pipe:
            pipe.delete(key)  # a new code replaces the one before
            pipe.hset(key, mapping={"mac": self._mac(subject, code), "tries": 0})
            pipe.expire(key, self.policy.ttl_seconds)
            pipe.execute()
        return code

    def withdraw(self, subject: str) -> None:
        """Forget the subject's code (it could not be sent)."""
        self.redis.delete(PREFIX + subject)

    def check(self, subject: str, code: str) -> None:
        """Accept the code once, or 2017 (wrong, used, expired or past its tries)."""
        if not isinstance(code, str) or not re.fullmatch(r"\d{6}", code):
            matched = self._verify(
                keys=[PREFIX + subject], args=["-", self.policy.max_tries]
            )  # a malformed code is a wrong try too
        else:
            matched = self._verify(
                keys=[PREFIX + subject], args=[self._mac(subject, code), self.policy.max_tries]
            )
        if int(matched) != 1:
            raise CloudError(codes.VERIFY_CODE_INVALID, WRONG_CODE)

    def _mac(self, subject: str, code: str) -> str:
        message = f"{subject}:{code}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
