"""python-alipay-sdk as the channel uses it: requests stamped in Beijing time, and refusals
kept readable (the SDK raises a bare AliPayException on them, losing the sub_code)."""

from __future__ import annotations

import json
from typing import Any

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError

from envelope import clock

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Refusal(AliPayException):  # type: ignore[misc]
    """An answer that refuses (code other than 10000), signed or not, as the SDK read it."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(str(answer.get("code", "")), json.dumps(answer, ensure_ascii=False))
        self.answer = answer


def refusal_in(raw: str, response_type: str) -> dict[str, Any] | None:
    """The refusal object of an answer the SDK would not return; None when it is none."""
    try:
        whole = json.loads(raw)
    except ValueError:
        return None
    found = (
        whole.get(response_type) or whole.get("error_response") if isinstance(whole, dict) else None
    )
    if not isinstance(found, dict) or str(found.get("code", "10000")) == "10000":
        return None  # an unsigned success is never taken
    return found


class ShanghaiAliPay(AliPay):  # type: ignore[misc]
    """AliPay stamping requests in Beijing time, its refusals readable.

    The SDK writes ``timestamp`` with the host's local clock (datetime.now()), but the
    gateway reads it as Beijing time: a host on UTC would be eight hours off. It raises a
    bare AliPayException on an unsigned answer or an error_response (where
    alipay.system.oauth.token puts its refusals); Refusal keeps the refusal's sub_code."""

    def build_body(self, method: str, biz_content: Any = None, **kwargs: Any) -> dict[str, Any]:
        """The SDK's request parameters with a Beijing-time timestamp."""
        data: dict[str, Any] = super().build_body(method, biz_content, **kwargs)
        data["timestamp"] = clock.now().strftime(TIME_FORMAT)
        return data

    def _verify_and_return_sync_response(self, raw_string: str, response_type: str) -> Any:
        """The SDK's verified answer; a refusal raises Refusal (still an AliPayException),
        an answer that is JSON but no object an AliPayException (the SDK would crash on it)."""
        try:
            if not isinstance(json.loads(raw_string), dict):
                raise AliPayException(None, "answer is not a JSON object")
        except ValueError as exc:
            raise AliPayException(None, "answer is not JSON") from exc
        try:
            return super()._verify_and_return_sync_response(raw_string, response_type)
        except AliPayValidationError:
            raise
        except AliPayException as exc:
            answer = refusal_in(raw_string, response_type)
            if answer is None:
                raise
            raise Refusal(answer) from exc
