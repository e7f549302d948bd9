"""Outpatient visits: 2201 register / 2202 cancel, 2204 fee upload / 2205 fee cancel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from simulators.insurance_center.persons import person_by_psn_no
from simulators.insurance_center.policy import CLASS_A, CLASS_B, CLASS_C, classify
from simulators.insurance_center.wire import Context, Refusal, new_id, to_fen, yuan

CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")
_LEVELS = (CLASS_A, CLASS_B, CLASS_C)


@lru_cache(maxsize=4)
def load_catalogue(path: Path = CATALOGUE_FILE) -> Mapping[str, str]:
    """med_list_codg -> chrgitm_lv from catalogue.json, read once (a file of the package)."""
    return MappingProxyType(dict(json.loads(path.read_text(encoding="utf-8"))["items"]))


def open_visit(ctx: Context, mdtrt_id: Any, psn_no: Any) -> dict[str, Any]:
    """A visit of this person that is still open, or a refusal."""
    visit = ctx.docs.get("mdtrt", str(mdtrt_id or ""))
    if visit is None or visit["psn_no"] != psn_no:
        raise Refusal(f"mdtrt_id {mdtrt_id} is not a visit of psn_no {psn_no}")
    if visit["state"] != "OPEN":
        raise Refusal(f"mdtrt_id {mdtrt_id} is cancelled")
    return visit


def register(ctx: Context) -> dict[str, Any]:
    """2201: open an outpatient visit and answer its mdtrt_id."""
    data = ctx.data()
    person = person_by_psn_no(ctx, data.get("psn_no"))
    if data.get("insutype") != person["insutype"]:
        raise Refusal(f"insutype {data.get('insutype')} is not the person's insurance")
    mdtrt_id = new_id(ctx.now, 12)
    ctx.docs.put(
        "mdtrt",
        mdtrt_id,
        {
            "mdtrt_id": mdtrt_id,
            "psn_no": person["psn_no"],
            "insutype": person["insutype"],
            "ipt_otp_no": str(data.get("ipt_otp_no") or ""),
            "begntime": str(data.get("begntime")),
            "state": "OPEN",
            "fees": {},
        },
    )
    return {
        "data": {
            "mdtrt_id": mdtrt_id,
            "psn_no": person["psn_no"],
            "ipt_otp_no": str(data.get("ipt_otp_no") or ""),
        }
    }


def cancel_visit(ctx: Context) -> dict[str, Any]:
    """2202: cancel a visit that has no settled fees."""
    data = ctx.data()
    visit = open_visit(ctx, data.get("mdtrt_id"), data.get("psn_no"))
    if any(fee["state"] == "SETTLED" for fee in visit["fees"].values()):
        raise Refusal("the visit has settled fees: reverse the settlement (2208) first")
    visit["state"] = "CANCELLED"
    ctx.docs.put("mdtrt", visit["mdtrt_id"], visit)
    return {}


def _level(item: dict[str, Any], catalogue: Mapping[str, str]) -> str:
    level = catalogue.get(str(item.get("med_list_codg") or ""))
    if level is None:
        level = str(item.get("chrgitm_lv") or CLASS_C)
    return level if level in _LEVELS else CLASS_C


def _fee_row(ctx: Context, item: dict[str, Any], catalogue: Mapping[str, str]) -> dict[str, Any]:
    amount = to_fen(item.get("det_item_fee_sumamt"), "det_item_fee_sumamt")
    if amount < 0:
        raise Refusal("det_item_fee_sumamt must not be negative")
    scope = classify(ctx.policy, amount, _level(item, catalogue))
    return {
        "feedetl_sn": str(item["feedetl_sn"]),
        "chrg_bchno": str(item.get("chrg_bchno") or ""),
        "med_list_codg": str(item.get("med_list_codg") or ""),
        "amount_fen": amount,
        "chrgitm_lv": scope.chrgitm_lv,
        "fulamt_ownpay_fen": scope.fulamt_ownpay_fen,
        "preselfpay_fen": scope.preselfpay_fen,
        "inscp_fen": scope.inscp_fen,
        "state": "UPLOADED",
        "setl_id": "",
    }


def upload_fees(ctx: Context) -> dict[str, Any]:
    """2204: upload fee items of a visit; answer each item's scope split."""
    items = ctx.input.get("feedetail")
    if not isinstance(items, list) or not items:
        raise Refusal("input.feedetail must list the fee items")
    catalogue = load_catalogue()
    first = items[0]
    visit = open_visit(ctx, first.get("mdtrt_id"), first.get("psn_no"))
    result = []
    for item in items:
        if item.get("mdtrt_id") != visit["mdtrt_id"] or not item.get("feedetl_sn"):
            raise Refusal("every fee item needs feedetl_sn and the same mdtrt_id")
        row = _fee_row(ctx, item, catalogue)
        old = visit["fees"].get(row["feedetl_sn"])
        if old is not None and old["state"] != "CANCELLED":
            raise Refusal(f"feedetl_sn {row['feedetl_sn']} already uploaded")
        visit["fees"][row["feedetl_sn"]] = row
        result.append(
            {
                "feedetl_sn": row["feedetl_sn"],
                "det_item_fee_sumamt": yuan(row["amount_fen"]),
                "fulamt_ownpay_amt": yuan(row["fulamt_ownpay_fen"]),
                "preselfpay_amt": yuan(row["preselfpay_fen"]),
                "inscp_scp_amt": yuan(row["inscp_fen"]),
                "chrgitm_lv": row["chrgitm_lv"],
                "med_chrgitm_type": "",
                "selfpay_prop": "",
            }
        )
    ctx.docs.put("mdtrt", visit["mdtrt_id"], visit)
    return {"result": result}


def cancel_fees(ctx: Context) -> dict[str, Any]:
    """2205: cancel uploaded, unsettled fees of a batch ("0000" = every unsettled one)."""
    data = ctx.data()
    visit = open_visit(ctx, data.get("mdtrt_id"), data.get("psn_no"))
    batch = str(data.get("chrg_bchno") or "")
    for fee in visit["fees"].values():
        if fee["state"] == "UPLOADED" and batch in ("0000", fee["chrg_bchno"]):
            fee["state"] = "CANCELLED"
    ctx.docs.put("mdtrt", visit["mdtrt_id"], visit)
    return {}
