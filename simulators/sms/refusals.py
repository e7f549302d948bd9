"""The vendor's refusals: platform errors (signature, key, time, nonce, parameters) come
with an HTTP error status; business refusals (isv.*) come with HTTP 200 and their Code."""

from __future__ import annotations

# code -> (HTTP status, the vendor's message)
PLATFORM = {
    "InvalidAccessKeyId.NotFound": (404, "Specified access key is not found."),
    "SignatureDoesNotMatch": (400, "Specified signature is not matched with our calculation."),
    "SignatureNonceUsed": (400, "Specified signature nonce was used already."),
    "InvalidTimeStamp.Expired": (400, "Specified time stamp or date value is expired."),
    "InvalidTimeStamp.Format": (400, "Specified time stamp or date value is not well formatted."),
    "IncompleteSignature": (400, "The request signature does not conform to Aliyun standards."),
    "InvalidAction.NotFound": (
        404,
        "Specified api is not found, please check your url and method.",
    ),
    "InvalidVersion": (400, "Specified parameter Version is not valid."),
    "InternalError": (
        500,
        "The request processing has failed due to some unknown error, exception or failure.",
    ),
}
BUSINESS = {
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.SMS_SIGNATURE_ILLEGAL": "该账号下找不到对应签名",
    "isv.SMS_TEMPLATE_ILLEGAL": "该账号下找不到对应模板",
    "isv.INVALID_JSON_PARAM": "JSON参数不合法，只接受字符串值",
    "isv.BUSINESS_LIMIT_CONTROL": "触发号码天级流控",  # the window is named when raised
}


class Refused(Exception):
    """A request the gateway refuses, with the vendor's code, message and HTTP status."""

    def __init__(self, code: str, message: str = "", status: int | None = None) -> None:
        if code in PLATFORM:
            default_status, default_message = PLATFORM[code]
        else:
            default_status, default_message = 200, BUSINESS.get(code, code)
        super().__init__(f"{code}: {message or default_message}")
        self.code = code
        self.message = message or default_message
        self.status = default_status if status is None else status


def missing(name: str) -> Refused:
    """The refusal of a request without a mandatory parameter (the vendor's Missing<Name>)."""
    return Refused(f"Missing{name}", f"{name} is mandatory for this action.", status=400)
