"""1101 person information, and the person records the other codes share."""

from __future__ import annotations

from typing import Any

from simulators.insurance_center.policy import YearUsage
from simulators.insurance_center.wire import Context, Refusal, yuan


def person_by_psn_no(ctx: Context, psn_no: Any) -> dict[str, Any]:
    """The insured person, or a refusal."""
    person = ctx.docs.get("person", str(psn_no or ""))
    if person is None:
        raise Refusal(f"psn_no {psn_no} is not an insured person")
    return person


def year_usage(person: dict[str, Any], year: int) -> YearUsage:
    """What the person used of deductible and pool fund in a calendar year."""
    used = person["years"].get(str(year), {})
    return YearUsage(used.get("dedc_fen", 0), used.get("hifp_fen", 0))


def add_usage(person: dict[str, Any], year: int, dedc_fen: int, hifp_fen: int) -> None:
    """Add (or, negative, take back) a year's deductible and pool fund use."""
    used = person["years"].setdefault(str(year), {"dedc_fen": 0, "hifp_fen": 0})
    used["dedc_fen"] += dedc_fen
    used["hifp_fen"] += hifp_fen


def person_info(ctx: Context) -> dict[str, Any]:
    """1101: base information and insurance information of the holder of an ID card."""
    data = ctx.data()
    certno = str(data.get("mdtrt_cert_no") or data.get("certno") or "")
    link = ctx.docs.get("cert", certno)
    if link is None:
        raise Refusal("no insured person with this certificate number")
    person = person_by_psn_no(ctx, link["psn_no"])
    name = data.get("psn_name")
    if name and name != person["psn_name"]:
        raise Refusal("psn_name does not match the certificate number")
    baseinfo = {
        k: person[k]
        for k in ("psn_no", "psn_cert_type", "certno", "psn_name", "gend", "naty", "brdy")
    }
    insuinfo = {
        "balc": yuan(person["balc_fen"]),
        "insutype": person["insutype"],
        "psn_type": person["psn_type"],
        "psn_insu_stas": "1",
        "insuplc_admdvs": person["insuplc_admdvs"],
        "emp_name": person["emp_name"],
    }
    return {"baseinfo": baseinfo, "insuinfo": [insuinfo], "idetinfo": []}
