"""2206 pre-settle, 2207 settle, 2208 reversal and 2601 reversal by message id."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from simulators.insurance_center.persons import add_usage, person_by_psn_no, year_usage
from simulators.insurance_center.policy import ItemScope, Split, settle
from simulators.insurance_center.visits import open_visit
from simulators.insurance_center.wire import Context, Refusal, new_id, to_fen, wire_time, yuan

_OTHER_FUNDS = (
    "cvlserv_pay",
    "hifes_pay",
    "hifmi_pay",
    "hifob_pay",
    "maf_pay",
    "oth_pay",
    "overlmt_selfpay",
    "hosp_part_amt",
    "acct_mulaid_pay",
)


def _compute(ctx: Context) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], Split]:
    """The person, visit, fees and split a 2206/2207 message asks for."""
    data = ctx.data()
    person = person_by_psn_no(ctx, data.get("psn_no"))
    visit = open_visit(ctx, data.get("mdtrt_id"), person["psn_no"])
    if data.get("insutype") not in (None, "", person["insutype"]):
        raise Refusal(f"insutype {data.get('insutype')} is not the person's insurance")
    batch = str(data.get("chrg_bchno") or "0000")
    fees = [
        fee
        for fee in visit["fees"].values()
        if fee["state"] == "UPLOADED" and batch in ("0000", fee["chrg_bchno"])
    ]
    if not fees:
        raise Refusal("no uploaded, unsettled fees for this mdtrt_id and chrg_bchno")
    items = [
        ItemScope(
            f["amount_fen"],
            f["chrgitm_lv"],
            f["fulamt_ownpay_fen"],
            f["preselfpay_fen"],
            f["inscp_fen"],
        )
        for f in fees
    ]
    balance = person["balc_fen"] if person["has_account"] else 0
    acct_used = str(data.get("acct_used_flag", "0")) == "1"
    split = settle(
        ctx.policy,
        person["insutype"],
        items,
        year_usage(person, ctx.now.year),
        balance,
        acct_used,
        ctx.settings.hospital_level,
    )
    if split.medfee_sumamt != to_fen(data.get("medfee_sumamt"), "medfee_sumamt"):
        raise Refusal("medfee_sumamt does not equal the uploaded fees of this batch")
    return person, visit, fees, split


def _setlinfo(ctx: Context, split: dict[str, int], *, sign: int, **ids: str) -> dict[str, Any]:
    amounts = {name: yuan(sign * value) for name, value in split.items() if name != "balc"}
    extra = dict.fromkeys(_OTHER_FUNDS, "0.00")
    return {
        **ids,
        **amounts,
        **extra,
        "balc": yuan(split["balc"]),
        "setl_time": wire_time(ctx.now),
        "clr_type": "11",
        "clr_way": "1",
        "clr_optins": ctx.settings.fixmedins_code[:6],
    }


def _setldetail(ctx: Context, insutype: str, hifp_fen: int) -> list[dict[str, Any]]:
    fund_type = ctx.policy.insutypes[insutype].fund_pay_type
    return [
        {
            "fund_pay_type": fund_type,
            "inscp_scp_amt": "",
            "crt_payb_lmt_amt": "",
            "fund_payamt": yuan(hifp_fen),
            "setl_proc_info": "",
        }
    ]


def pre_settle(ctx: Context) -> dict[str, Any]:
    """2206: the split a settlement would have now; nothing changes."""
    person, visit, _fees, split = _compute(ctx)
    info = _setlinfo(
        ctx,
        asdict(split),
        sign=1,
        mdtrt_id=visit["mdtrt_id"],
        psn_no=person["psn_no"],
        insutype=person["insutype"],
    )
    return {"setlinfo": info, "setldetail": _setldetail(ctx, person["insutype"], split.hifp_pay)}


def settle_visit(ctx: Context) -> dict[str, Any]:
    """2207: settle the batch, draw down the personal account, record the settlement."""
    person, visit, fees, split = _compute(ctx)
    setl_id = new_id(ctx.now, 12)
    msgid = str(ctx.message["msgid"])
    for fee in fees:
        fee.update(state="SETTLED", setl_id=setl_id)
    person["balc_fen"] -= split.acct_pay
    add_usage(person, ctx.now.year, split.act_pay_dedc, split.hifp_pay)
    ctx.docs.put("mdtrt", visit["mdtrt_id"], visit)
    ctx.docs.put("person", person["psn_no"], person)
    ctx.docs.put(
        "setl",
        setl_id,
        {
            "setl_id": setl_id,
            "msgid": msgid,
            "psn_no": person["psn_no"],
            "mdtrt_id": visit["mdtrt_id"],
            "insutype": person["insutype"],
            "year": ctx.now.year,
            "state": "SETTLED",
            "setl_time": wire_time(ctx.now),
            "split": asdict(split),
            "feedetl_sns": [fee["feedetl_sn"] for fee in fees],
            "reversal_id": "",
        },
    )
    info = _setlinfo(
        ctx,
        asdict(split),
        sign=1,
        setl_id=setl_id,
        mdtrt_id=visit["mdtrt_id"],
        psn_no=person["psn_no"],
        insutype=person["insutype"],
        medins_setl_id=msgid,
    )
    return {"setlinfo": info, "setldetail": _setldetail(ctx, person["insutype"], split.hifp_pay)}


def _reverse(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """Undo a settlement: restore the account and yearly use, free its fees for re-use."""
    person = person_by_psn_no(ctx, record["psn_no"])
    split = Split(**{f.name: record["split"][f.name] for f in fields(Split)})
    person["balc_fen"] += split.acct_pay
    add_usage(person, record["year"], -split.act_pay_dedc, -split.hifp_pay)
    visit = ctx.docs.get("mdtrt", record["mdtrt_id"])
    if visit is not None:
        for sn in record["feedetl_sns"]:
            visit["fees"][sn].update(state="UPLOADED", setl_id="")
        ctx.docs.put("mdtrt", visit["mdtrt_id"], visit)
    record.update(state="REVERSED", reversal_id=new_id(ctx.now, 12))
    ctx.docs.put("person", person["psn_no"], person)
    ctx.docs.put("setl", record["setl_id"], record)
    amounts = {**record["split"], "balc": person["balc_fen"]}
    info = _setlinfo(
        ctx,
        amounts,
        sign=-1,
        setl_id=record["reversal_id"],
        init_setl_id=record["setl_id"],
        mdtrt_id=record["mdtrt_id"],
        psn_no=record["psn_no"],
        insutype=record["insutype"],
    )
    return {"setlinfo": info}


def reverse_settlement(ctx: Context) -> dict[str, Any]:
    """2208: reverse a known settlement."""
    data = ctx.data()
    record = ctx.docs.get("setl", str(data.get("setl_id") or ""))
    if record is None or record["psn_no"] != data.get("psn_no"):
        raise Refusal(f"setl_id {data.get('setl_id')} is not a settlement of this person")
    if data.get("mdtrt_id") not in (None, "", record["mdtrt_id"]):
        raise Refusal("mdtrt_id does not match the settlement")
    if record["state"] != "SETTLED":
        raise Refusal(f"setl_id {record['setl_id']} is already reversed")
    return _reverse(ctx, record)


def reverse_by_message(ctx: Context) -> dict[str, Any]:
    """2601: reverse whatever the message omsgid did, for a caller that lost its reply."""
    data = ctx.data()
    logged = ctx.docs.get("msg", str(data.get("omsgid") or ""))
    if logged is None:
        ctx.warn = "original message was never received: nothing to reverse"
        return {}
    if logged["infno"] != str(data.get("oinfno") or "") or logged["psn_no"] != data.get("psn_no"):
        raise Refusal("oinfno or psn_no does not match the original message")
    setl_id = logged.get("setl_id") or ""
    record = ctx.docs.get("setl", setl_id) if setl_id else None
    if record is None or record["state"] != "SETTLED":
        ctx.warn = "original message left nothing to reverse"
        return {}
    return _reverse(ctx, record)
