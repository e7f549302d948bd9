"""Sign-in (9001) and sign-out (9002): a sign_no is valid until signed out or the set days pass."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from simulators.insurance_center.wire import Context, Refusal, new_id, wire_time


def require_sign_no(ctx: Context) -> dict[str, Any]:
    """The sign-in behind the message's sign_no, or a refusal when it is unknown or expired."""
    sign_no = ctx.message.get("sign_no")
    record = ctx.docs.get("signin", sign_no) if isinstance(sign_no, str) and sign_no else None
    if record is None:
        raise Refusal("sign_no missing or unknown: sign in (9001) first")
    if record["signed_out"] or datetime.fromisoformat(record["valid_until"]) <= ctx.now:
        raise Refusal("sign_no expired or signed out: sign in (9001) again")
    return record


def sign_in(ctx: Context) -> dict[str, Any]:
    """9001: open a sign-in serial for an operator."""
    data = ctx.data("signIn")
    opter_no = str(data.get("opter_no") or "")
    if not opter_no:
        raise Refusal("signIn.opter_no is required")
    sign_no = new_id(ctx.now, 6)
    ctx.docs.put(
        "signin",
        sign_no,
        {
            "sign_no": sign_no,
            "opter_no": opter_no,
            "fixmedins_code": ctx.settings.fixmedins_code,
            "sign_time": ctx.now.isoformat(),
            "signed_out": False,
            "valid_until": (ctx.now + timedelta(days=ctx.settings.sign_valid_days)).isoformat(),
        },
    )
    return {"signinoutb": {"sign_time": wire_time(ctx.now), "sign_no": sign_no}}


def sign_out(ctx: Context) -> dict[str, Any]:
    """9002: close a sign-in serial."""
    data = ctx.data("signOut")
    record = ctx.docs.get("signin", str(data.get("sign_no") or ""))
    if record is None or record["signed_out"]:
        raise Refusal("signOut.sign_no unknown or already signed out")
    record["signed_out"] = True
    ctx.docs.put("signin", record["sign_no"], record)
    return {"signoutoutb": {"sign_time": wire_time(ctx.now)}}
