"""The input nodes of the national messages on an order's path (2201, 2204, 2205,
2206/2207), built from our records; amounts leave here as yuan strings."""

from __future__ import annotations

from typing import Any

from envelope import clock
from insurance_frontend.fees import Fees
from insurance_frontend.insured import Person
from insurance_frontend.models import InsuranceOrder
from servicekit.money import fen_to_yuan

MED_TYPE_OUTPATIENT = "11"
CERT_ID_CARD = "02"


def _wire_now() -> str:
    return clock.now().strftime("%Y-%m-%d %H:%M:%S")


def register_node(order_no: str, person: Person, id_card_no: str) -> dict[str, Any]:
    """2201: open an outpatient visit for the order."""
    return {
        "data": {
            "psn_no": person.psn_no,
            "insutype": person.insutype,
            "begntime": _wire_now(),
            "mdtrt_cert_type": CERT_ID_CARD,
            "mdtrt_cert_no": id_card_no,
            "med_type": MED_TYPE_OUTPATIENT,
            "ipt_otp_no": order_no,
            "atddr_no": "",
            "dr_name": "",
            "dept_code": "",
            "dept_name": "",
            "caty": "",
        }
    }


def cancel_fees_node(order: InsuranceOrder) -> dict[str, Any]:
    """2205: cancel every unsettled fee of the visit ("0000")."""
    return {"data": {"mdtrt_id": order.mdtrt_id, "chrg_bchno": "0000", "psn_no": order.psn_no}}


def fee_detail_node(order: InsuranceOrder, fees: Fees) -> dict[str, Any]:
    """2204: the HIS's fee items, one feedetail row each.

    chrgitm_lv is not part of the national 2204 input; the simulator reads it for codes its
    catalogue does not list, a real center ignores it.
    """
    now = _wire_now()
    return {
        "feedetail": [
            {
                "feedetl_sn": f"{order.chrg_bchno}-{n:03d}",
                "init_feedetl_sn": "",
                "mdtrt_id": order.mdtrt_id,
                "drord_no": "",
                "psn_no": order.psn_no,
                "med_type": MED_TYPE_OUTPATIENT,
                "fee_ocur_time": now,
                "chrg_bchno": order.chrg_bchno,
                "med_list_codg": item.list_code,
                "medins_list_codg": item.item_code,
                "det_item_fee_sumamt": fen_to_yuan(item.amount_fen),
                "cnt": item.qty,
                "pric": fen_to_yuan(item.unit_price_fen),
                "chrgitm_lv": item.chrgitm_lv,
                "bilg_dept_codg": "",
                "bilg_dr_codg": "",
                "hosp_appr_flag": "1",
            }
            for n, item in enumerate(fees.items, start=1)
        ]
    }


def settle_node(
    order: InsuranceOrder, fees: Fees, id_card_no: str, acct_used: bool
) -> dict[str, Any]:
    """2206 and 2207: settle the order's batch."""
    return {
        "data": {
            "psn_no": order.psn_no,
            "mdtrt_cert_type": CERT_ID_CARD,
            "mdtrt_cert_no": id_card_no,
            "med_type": MED_TYPE_OUTPATIENT,
            "medfee_sumamt": fen_to_yuan(fees.total_fen),
            "psn_setlway": "01",
            "mdtrt_id": order.mdtrt_id,
            "chrg_bchno": order.chrg_bchno,
            "insutype": order.insutype,
            "acct_used_flag": "1" if acct_used else "0",
        }
    }


def reverse_node(order: InsuranceOrder, setl_id: str) -> dict[str, Any]:
    """2208: reverse a known settlement."""
    return {"data": {"setl_id": setl_id, "mdtrt_id": order.mdtrt_id, "psn_no": order.psn_no}}


def reverse_by_message_node(order: InsuranceOrder, omsgid: str, oinfno: str) -> dict[str, Any]:
    """2601: reverse whatever the message omsgid did (its reply was lost)."""
    return {"data": {"psn_no": order.psn_no, "omsgid": omsgid, "oinfno": oinfno}}


def cancel_visit_node(order: InsuranceOrder) -> dict[str, Any]:
    """2202: cancel the outpatient visit of the order."""
    return {
        "data": {"psn_no": order.psn_no, "mdtrt_id": order.mdtrt_id, "ipt_otp_no": order.order_no}
    }
