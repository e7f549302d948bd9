"""The OpenAPI description of the patient API (spectree, from the pydantic models).

Request validation failures answer like every other refusal: a result code (1009) and a
message naming the field, never pydantic's raw error list.
"""

from __future__ import annotations

import json
from typing import Any

from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType

from envelope import codes


def _as_result_code(req: Any, resp: Any, req_validation_error: Any, instance: Any, *_: Any) -> None:
    if req_validation_error is None or resp is None:
        return
    first = req_validation_error.errors()[0] if req_validation_error.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    message = f"{where}: {first.get('msg', 'invalid')}"
    resp.set_data(
        json.dumps({"result_code": codes.BODY_INVALID, "result_msg": message}, ensure_ascii=False)
    )
    resp.status_code = 400
    resp.content_type = "application/json; charset=utf-8"


def make_spec() -> SpecTree:
    """A SpecTree for one app: document at /api/v1/docs/openapi.json."""
    return SpecTree(
        "flask",
        title="Hospital payment patient API",
        version="v1",
        path="api/v1/docs",
        mode="strict",  # only the patient API; envelopes and partner callbacks are not in it
        before=_as_result_code,
        validation_error_status=400,
        security_schemes=[
            SecurityScheme(
                name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer")
            )
        ],
        security={"bearer": []},
    )


spec = make_spec()
