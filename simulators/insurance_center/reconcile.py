"""3201 reconcile totals and 3202 reconcile detail: the hospital's figures for a period against
the settlements the center recorded (a reversed settlement no longer counts)."""

from __future__ import annotations

from datetime import date
from typing import Any

from simulators.insurance_center.wire import Context, Refusal, to_fen, yuan

BALANCED, UNBALANCED = "0", "1"
TOTALS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")
DETAIL_AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "cash_payamt")


def _date(data: dict[str, Any], name: str) -> str:
    value = str(data.get(name) or "")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Refusal(f"{name} must be a date yyyy-MM-dd") from None
    return value


def _period(data: dict[str, Any]) -> tuple[str, str]:
    begin, end = _date(data, "stmt_begndate"), _date(data, "stmt_enddate")
    if end < begin:
        raise Refusal("stmt_enddate is before stmt_begndate")
    return begin, end


def settled_in(ctx: Context, begin: str, end: str, insutype: str = "") -> list[dict[str, Any]]:
    """The center's settlements still standing whose settlement day lies in [begin, end]."""
    return [
        record
        for record in ctx.docs.all("setl")
        if record["state"] == "SETTLED"
        and begin <= record["setl_time"][:10] <= end
        and insutype in ("", record["insutype"])
    ]


def _amounts(record: dict[str, Any]) -> dict[str, int]:
    split = record["split"]
    return {
        "medfee_sumamt": split["medfee_sumamt"],
        "fund_pay_sumamt": split["fund_pay_sumamt"],
        "acct_pay": split["acct_pay"],
        "cash_payamt": split["psn_cash_pay"],
    }


def reconcile_totals(ctx: Context) -> dict[str, Any]:
    """3201: compare the hospital's count and totals of one insurance type with the center's."""
    data = ctx.data()
    begin, end = _period(data)
    records = settled_in(ctx, begin, end, str(data.get("insutype") or ""))
    center = {name: sum(_amounts(r)[name] for r in records) for name in TOTALS}
    ours = {name: to_fen(data.get(name, "0"), name) for name in TOTALS}
    count = str(data.get("fixmedins_setl_cnt", ""))
    differences = [name for name in TOTALS if ours[name] != center[name]]
    if not count.isdigit() or int(count) != len(records):
        differences.insert(0, "fixmedins_setl_cnt")
    return {
        "stmtinfo": {
            "setl_optins": str(data.get("setl_optins") or ""),
            "stmt_rslt": UNBALANCED if differences else BALANCED,
            "stmt_rslt_dscr": ("differs: " + ", ".join(differences)) if differences else "平",
            # The center's own figures, so the hospital can see by how much it differs.
            "fixmedins_setl_cnt": str(len(records)),
            **{name: yuan(value) for name, value in center.items()},
        }
    }


def _row(record: dict[str, Any], result: str, memo: str) -> dict[str, Any]:
    amounts = _amounts(record) if record.get("split") else {}
    return {
        "psn_no": record.get("psn_no", ""),
        "mdtrt_id": record.get("mdtrt_id", ""),
        "setl_id": record.get("setl_id", ""),
        "msgid": record.get("msgid", ""),
        "stmt_rslt": result,
        "memo": memo,
        **{name: yuan(amounts[name]) if amounts else "" for name in DETAIL_AMOUNTS},
    }


def _hospital_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = data.get("detail")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise Refusal("data.detail must list the hospital's settlements")
    cnt = str(data.get("fixmedins_setl_cnt", ""))
    if not cnt.isdigit() or int(cnt) != len(rows):
        raise Refusal("fixmedins_setl_cnt does not equal the number of detail rows")
    for name in ("medfee_sumamt", "fund_pay_sumamt", "cash_payamt"):
        if sum(to_fen(r.get(name, "0"), name) for r in rows) != to_fen(data.get(name, "0"), name):
            raise Refusal(f"detail rows do not add up to {name}")
    return rows


def _compare(ours: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    if record is None:
        return _row({**ours, "split": None}, UNBALANCED, "no such settlement at the center")
    if record["state"] != "SETTLED":
        return _row(record, UNBALANCED, "reversed at the center")
    theirs = _amounts(record)
    differing = [n for n in DETAIL_AMOUNTS if to_fen(ours.get(n, "0"), n) != theirs[n]]
    if differing:
        return _row(record, UNBALANCED, "amounts differ: " + ", ".join(differing))
    return _row(record, BALANCED, "")


def reconcile_detail(ctx: Context) -> dict[str, Any]:
    """3202: every settlement of the period, each marked balanced or not, with a memo."""
    data = ctx.data()
    begin, end = _period(data)
    rows = _hospital_rows(data)
    seen: set[str] = set()
    result = []
    for ours in rows:
        setl_id = str(ours.get("setl_id") or "")
        seen.add(setl_id)
        result.append(_compare(ours, ctx.docs.get("setl", setl_id) if setl_id else None))
    for record in settled_in(ctx, begin, end):
        if record["setl_id"] not in seen:
            result.append(_row(record, UNBALANCED, "settled at the center only"))
    return {"rows": result}
