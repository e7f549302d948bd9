"""Texting a sign-in code to a phone through the SMS gateway (Alibaba Cloud SMS SendSms),
with the vendor's official client (alibabacloud_dysmsapi20170525).

The client signs the RPC way (signature_algorithm "v2": HMAC-SHA1, signature version 1.0),
which is what DESIGN section 11 names and what the simulator verifies. Failures raise the
channel-style exceptions: a refusal, a call that surely never arrived, or one whose
outcome is unknown (the text may have gone out: never assume it did not)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_openapi.exceptions import ClientException
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import UnretryableException
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from cloud_service.channels.base import ChannelOutcomeUnknown, ChannelRejected, ChannelUnavailable
from cloud_service.settings import SmsSettings
from servicekit.masking import mask_phone

log = logging.getLogger("cloud_service.sms")


class SmsRejected(ChannelRejected):
    """The gateway answered and refused (its Code: isv.BUSINESS_LIMIT_CONTROL, ...)."""


class SmsUnavailable(ChannelUnavailable):
    """The request never reached the gateway: nothing was sent, a retry is safe."""


class SmsOutcomeUnknown(ChannelOutcomeUnknown):
    """The text may or may not have gone out (timeout, cut connection, server error)."""


def endpoint_of(api_url: str) -> tuple[str, str]:
    """(protocol, host[:port]) of SMS_API_URL (settings refused one with a path)."""
    parts = urlsplit(api_url)
    return parts.scheme, parts.netloc


def _never_connected(cause: BaseException | None) -> bool:
    """True when the transport failed before the request could have left (the SDK keeps
    the requests exception as the context of its own)."""
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if not isinstance(cause, requests.ConnectionError):
        return False
    reason = getattr(cause.args[0], "reason", None) if cause.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


class AliyunSmsSender:
    """cloud_service.deps.SmsSender over the official client, without retries (a retried
    send may text the phone twice)."""

    def __init__(self, settings: SmsSettings, timeout: tuple[float, float] = (3.0, 10.0)) -> None:
        protocol, endpoint = endpoint_of(settings.api_url)
        self.sign_name = settings.sign_name
        self.template_code = settings.template_code
        self.client = Client(
            openapi_models.Config(
                access_key_id=settings.access_key_id,
                access_key_secret=settings.access_key_secret,
                endpoint=endpoint,
                protocol=protocol,
                signature_algorithm="v2",
            )
        )
        self.runtime = RuntimeOptions(
            autoretry=False,
            connect_timeout=int(timeout[0] * 1000),
            read_timeout=int(timeout[1] * 1000),
        )

    def send_code(self, phone: str, code: str) -> None:
        """Text the code; raise SmsRejected, SmsUnavailable or SmsOutcomeUnknown."""
        request = models.SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.sign_name,
            template_code=self.template_code,
            template_param=json.dumps({"code": code}),
        )
        body = self._call(request)
        if body.get("Code") != "OK":
            raise SmsRejected(200, str(body.get("Code")), str(body.get("Message", "")))
        log.info("sms code sent to %s, BizId %s", mask_phone(phone), body.get("BizId", ""))

    def _call(self, request: models.SendSmsRequest) -> dict[str, Any]:
        """One SendSms, its transport and HTTP failures mapped onto the exceptions."""
        try:
            response = self.client.send_sms_with_options(request, self.runtime)
        except ClientException as exc:  # a 4xx: the gateway read the request and refused
            raise SmsRejected(exc.status_code or 400, str(exc.code), str(exc.message)) from exc
        except UnretryableException as exc:  # the transport failed, or the answer was junk
            cause = getattr(exc, "inner_exception", None)
            if _never_connected(getattr(cause, "__context__", None)):
                raise SmsUnavailable(f"SMS gateway unreachable: {exc}") from exc
            raise SmsOutcomeUnknown(f"SMS gateway answer lost: {exc}") from exc
        except Exception as exc:  # a 5xx (ServerException) or anything the SDK did not expect
            raise SmsOutcomeUnknown(f"SMS gateway call failed: {exc!r}") from exc
        body = response.body.to_map() if response.body is not None else {}
        return body if isinstance(body, dict) else {}
