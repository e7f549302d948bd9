"""How the patient API reports a refusal: a result code, a clear message, an HTTP status."""

from __future__ import annotations

from envelope import codes

_STATUS_BY_CLASS = {"0": 200, "1": 400, "2": 409, "3": 502, "9": 500}


def api_status(result_code: str) -> int:
    """The HTTP status of the patient API for a result code."""
    if result_code == codes.TIMED_OUT:
        return 504
    if result_code in (codes.BAD_SIGNATURE, codes.STALE_TIMESTAMP, codes.REPLAYED_NONCE):
        return 401
    if result_code == codes.ROUTE_NOT_ALLOWED:
        return 403
    if result_code == codes.RATE_LIMITED:
        return 429
    if result_code in (codes.RECORD_NOT_FOUND, codes.PATIENT_NOT_FOUND, codes.NOT_FOUND):
        return 404
    return _STATUS_BY_CLASS.get(result_code[:1], 500)


class CloudError(codes.EnvelopeError):
    """A refusal raised by the cloud's service layer."""


class Unauthorized(CloudError):
    """No valid app token: the patient must sign in (again)."""

    def __init__(self, result_msg: str = "请先登录：登录凭证缺失、无效或已过期") -> None:
        super().__init__(codes.BAD_SIGNATURE, result_msg)
