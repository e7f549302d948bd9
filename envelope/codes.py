"""Result codes (DESIGN §2) and the HTTP status each class maps to."""

from __future__ import annotations

SUCCESS = "0000"

NOT_JSON = "1001"
BAD_FIELD = "1002"
BAD_SIGNATURE = "1003"
STALE_TIMESTAMP = "1004"
REPLAYED_NONCE = "1005"
UNKNOWN_TRADE_CODE = "1006"
ROUTE_NOT_ALLOWED = "1007"
RATE_LIMITED = "1008"
BODY_INVALID = "1009"
NOT_FOUND = "1010"  # no such address: an unknown URL on any service (HTTP 404)

# 2xxx: business refusals. The hospital's rule that refused is named in result_msg.
PATIENT_NOT_FOUND = "2001"
SLOT_SOLD_OUT = "2002"
LOCK_EXPIRED = "2003"
BILLS_CHANGED = "2004"
NOT_PAYABLE_TODAY = "2005"
AMOUNT_MISMATCH = "2006"
DUPLICATE_ORDER = "2007"
RECORD_NOT_FOUND = "2008"
ALREADY_HOLDS_SLOT = "2009"
INVALID_ID_CARD = "2010"
PATIENT_MISMATCH = "2011"
NOT_INSURED = "2012"
SIGN_IN_REQUIRED = "2013"
ORDER_STATE_CONFLICT = "2014"
INSURANCE_REFUSED = "2015"
PAST_CUTOFF = "2016"
# Who may act (DESIGN §11)
VERIFY_CODE_INVALID = "2017"  # an SMS code (or an app's authorization code) wrong, used, old
PHONE_NOT_VERIFIED = "2018"  # a WeChat or Alipay user binds a record once a phone is verified
BIND_AT_WINDOW = "2019"  # the record has no phone to prove it by: bind at the window
REGISTRATION_LIMIT = "2020"  # registering fairly: one per department a day, few unpaid locks
BINDING_LIMIT = "2021"  # at most five records a user

HIS_UNAVAILABLE = "3001"
INSURANCE_UNAVAILABLE = "3002"
TIMED_OUT = "3003"
PEER_UNAVAILABLE = "3004"

INTERNAL = "9999"

MESSAGES: dict[str, str] = {
    SUCCESS: "success",
    NOT_JSON: "request is not a JSON envelope",
    BAD_FIELD: "missing or bad header field",
    BAD_SIGNATURE: "bad signature",
    STALE_TIMESTAMP: "timestamp outside the accepted window",
    REPLAYED_NONCE: "nonce already used",
    UNKNOWN_TRADE_CODE: "unknown trade code",
    ROUTE_NOT_ALLOWED: "route not allowed for this sender and direction",
    RATE_LIMITED: "rate limited",
    BODY_INVALID: "body invalid for the trade code",
    NOT_FOUND: "请求的地址不存在",
    PATIENT_NOT_FOUND: "patient not found",
    SLOT_SOLD_OUT: "slot sold out",
    LOCK_EXPIRED: "slot lock expired",
    BILLS_CHANGED: "bills changed since listed",
    NOT_PAYABLE_TODAY: "not payable today",
    AMOUNT_MISMATCH: "amount mismatch",
    DUPLICATE_ORDER: "duplicate order with different content",
    RECORD_NOT_FOUND: "record not found",
    ALREADY_HOLDS_SLOT: "patient already holds a slot of this schedule",
    INVALID_ID_CARD: "invalid ID card number",
    PATIENT_MISMATCH: "record does not belong to this patient",
    NOT_INSURED: "patient is not insured",
    SIGN_IN_REQUIRED: "insurance sign-in missing or expired",
    ORDER_STATE_CONFLICT: "order is not in a state that allows this",
    INSURANCE_REFUSED: "insurance center refused",
    PAST_CUTOFF: "past the cut-off time",
    VERIFY_CODE_INVALID: "verification code wrong, used or expired",
    PHONE_NOT_VERIFIED: "verify a phone number first",
    BIND_AT_WINDOW: "this record can be bound at the hospital window only",
    REGISTRATION_LIMIT: "registration limit reached",
    BINDING_LIMIT: "too many records bound to this user",
    HIS_UNAVAILABLE: "HIS unavailable",
    INSURANCE_UNAVAILABLE: "insurance center unavailable",
    TIMED_OUT: "timed out: outcome unknown, query before retrying",
    PEER_UNAVAILABLE: "downstream service unavailable",
    INTERNAL: "internal error",
}

_STATUS_BY_CODE = {
    NOT_JSON: 400,
    BAD_FIELD: 400,
    UNKNOWN_TRADE_CODE: 400,
    BODY_INVALID: 400,
    NOT_FOUND: 404,
    BAD_SIGNATURE: 401,
    STALE_TIMESTAMP: 401,
    REPLAYED_NONCE: 401,
    ROUTE_NOT_ALLOWED: 403,
    RATE_LIMITED: 429,
    TIMED_OUT: 504,
}


def http_status(result_code: str) -> int:
    """The HTTP status that mirrors a result code's class (DESIGN §2)."""
    if result_code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[result_code]
    first = result_code[:1]
    if first in ("0", "2"):
        return 200
    if first == "1":
        return 400
    if first == "3":
        return 502
    return 500


def message(result_code: str) -> str:
    """The standard result_msg of a code."""
    return MESSAGES.get(result_code, "error")


def is_success(result_code: str) -> bool:
    """True for 0000."""
    return result_code == SUCCESS


class EnvelopeError(Exception):
    """A refusal with a result code; becomes a signed error envelope at the endpoint."""

    def __init__(self, result_code: str, result_msg: str | None = None) -> None:
        self.result_code = result_code
        self.result_msg = result_msg or message(result_code)
        super().__init__(f"{self.result_code} {self.result_msg}")
