"""Whole answers of the hospital's trade codes, as integration_platform and
insurance_frontend give them (each fits its envelope.messages answer model), built from the
request body the fake hospital received; ``**over`` changes or adds fields."""

from __future__ import annotations

from typing import Any

from envelope import clock

Body = dict[str, Any]
SPLIT = {
    "medfee_sumamt": 1100,
    "fulamt_ownpay_amt": 100,
    "preselfpay_amt": 0,
    "inscp_scp_amt": 1000,
    "hifp_pay": 700,
    "acct_pay": 300,
    "psn_cash_pay": 100,
}
FEES = {"reg_fee": 100, "diag_fee": 1000, "total": 1100}
DIGEST = "d" * 64
MOMENT = "2099-01-01T00:00:00+08:00"
INSURED = {"pay_mode": "INSURANCE", "channel": "WECHAT", "cash": 100, "setl_id": "SETL1",
           "split": SPLIT}  # fmt: skip


def _item(code: str, name: str, amount: int, insurance_class: str) -> Body:
    return {
        "item_code": code,
        "name": name,
        "spec": "",
        "qty": 1,
        "unit_price": amount,
        "amount": amount,
        "insurance_class": insurance_class,
        "list_code": "X1",
    }


REG_ITEMS = [_item("GH01", "挂号费", 100, "C"), _item("ZC01", "诊查费", 1000, "A")]
ITEM = _item("YP1", "阿莫西林胶囊", 600, "B")


def hold(body: Body, status: str = "LOCKED", **over: Any) -> Body:
    """2006 (and the hold inside 2008/2010): lock L1 of slot S1-01 today, 1100 fen."""
    answer = {
        "lock_id": body.get("lock_id", "L1"),
        "order_no": body.get("order_no", "R1"),
        "status": status,
        "expires_at": MOMENT if status == "LOCKED" else None,
        "mrn": body.get("mrn", "M0001"),
        "schedule_id": body.get("schedule_id", "S1"),
        "slot_id": "S1-01",
        "seq_no": 1,
        "start_time": "08:00",
        "end_time": "08:10",
        "visit_date": clock.today().isoformat(),
        "fees": FEES,
    }
    return {**answer, **over}


def registration(body: Body, status: str = "CONFIRMED", **over: Any) -> Body:
    """2008, or 2010's answer for a registration the HIS holds: numbered once confirmed."""
    confirmed = status == "CONFIRMED"
    answer = {
        **hold(body, status),
        "period": "AM",
        "dept_code": "D0101",
        "doctor_code": "DR001",
        "items": REG_ITEMS,
        "reg_no": "REG1" if confirmed else None,
        "visit_no": "V1" if confirmed else None,
        "queue_no": 1 if confirmed else None,
        "location": "门诊2楼" if confirmed else None,
        "settlement": body.get("settlement", INSURED) if confirmed else None,
    }
    return {**answer, **over}


def unknown_order(body: Body) -> Body:
    """2010 or 3005 for an order the HIS never saw."""
    return {"status": "NONE", "order_no": body["order_no"]}


def bill(bill_no: str, amount: int, kind: str) -> Body:
    """One unpaid bill of record M0001 (3001's rows)."""
    return {
        "bill_no": bill_no,
        "visit_no": "V1",
        "mrn": "M0001",
        "dept_code": "D0101",
        "dept": "心血管内科",
        "doctor_code": "DR001",
        "doctor": "王建国",
        "kind": kind,
        "amount": amount,
        "status": "UNPAID",
        "billed_at": MOMENT,
    }


BILLS = [bill("B1", 600, "PRESCRIPTION"), bill("B2", 500, "EXAM")]


def charge(body: Body, **over: Any) -> Body:
    """3003, or 3005 once charged: receipt RC1, invoice INV1."""
    answer = {
        "status": "PAID",
        "order_no": body["order_no"],
        "mrn": body.get("mrn", "M0001"),
        "receipt_no": "RC1",
        "invoice_no": "INV1",
        "bill_nos": body.get("bill_nos", ["B1", "B2"]),
        "amount": 1100,
        "settlement": body.get("settlement", INSURED),
        "charged_at": MOMENT,
    }
    return {**answer, **over}


def insurance(body: Body, status: str = "SETTLED", **over: Any) -> Body:
    """4004 (PRESETTLED), 4005 and 4007 (SETTLED SETL1) with the split; NONE has none."""
    answer: Body = {
        "order_no": body["order_no"],
        "status": status,
        "setl_id": "SETL1" if status in ("SETTLED", "REVERSED") else "",
        "mdtrt_id": "MD1" if status != "NONE" else "",
        "split": SPLIT if status not in ("NONE", "OPEN") else None,
    }
    return {**answer, **over}


def reversal(body: Body, **over: Any) -> Body:
    """4006: the order's settlement reversed."""
    answer = {
        "order_no": body["order_no"],
        "status": "REVERSED",
        "setl_id": "S",
        "mdtrt_id": "MD1",
        "psn_no": "PSN1",
        "reversed_split": SPLIT,
        "reason": body.get("reason", ""),
    }
    return {**answer, **over}


def slot_detail(body: Body, remaining: int = 1) -> Body:
    """2005: clinic S1 with one free slot."""
    return {
        "schedule_id": body["schedule_id"],
        "date": "2099-01-01",
        "period": "AM",
        "dept_code": "D0101",
        "dept_name": "心血管内科",
        "doctor_code": "DR001",
        "doctor_name": "王建国",
        "doctor_title": "主任医师",
        "level": "EXPERT",
        "level_name": "专家号",
        **FEES,
        "capacity": 10,
        "remaining": remaining,
        "slots": [
            {"slot_id": "S1-01", "seq_no": 1, "start_time": "08:00", "end_time": "08:10",
             "status": "FREE"}
        ],
    }  # fmt: skip


def report(report_id: str, kind: str) -> Body:
    """One report of record M0001 (5001/5002's rows)."""
    return {
        "report_id": report_id,
        "kind": kind,
        "mrn": "M0001",
        "visit_no": "V1",
        "title": "血脂四项" if kind == "LAB" else "胸部CT",
        "dept_code": "D0101",
        "reported_at": MOMENT,
    }


LAB_VALUE = {"item_code": "TC", "name": "总胆固醇", "value": "6.21", "unit": "mmol/L",
             "reference_range": "2.8-5.2", "abnormal_flag": "H", "abnormal": True}  # fmt: skip


def lab_report(report_id: str) -> Body:
    """5003: a lab report with one high value."""
    return {**report(report_id, "LAB"), "specimen": "血清", "items": [LAB_VALUE]}


def exam_report(report_id: str) -> Body:
    """5004: a CT exam report."""
    extra = {"modality": "CT", "body_part": "胸部", "findings": "未见异常", "conclusion": "正常"}
    return {**report(report_id, "EXAM"), **extra}


def _totals(count: int = 0, **amounts: int) -> Body:
    sums = {"medfee_sumamt": 0, "fund_pay_sumamt": 0, "acct_pay": 0, **amounts}
    return {"count": count, **sums}


def day_totals(body: Body, result: str = "BALANCED", center_count: int = 0) -> Body:
    """4008: our day against the center's (no settlements unless the center counts some)."""
    return {
        "date": body["date"],
        "result": result,
        "ours": {**_totals(), "cash_payamt": 0},
        "center": _totals(center_count),
        "insutypes": [],
    }


def difference(order_no: str, classification: str, memo: str) -> Body:
    """One settlement of 4009's on which we and the center differ."""
    return {
        "setl_id": "SETL-X",
        "msgid": "MSG1",
        "psn_no": "PSN1",
        "mdtrt_id": "MD1",
        "order_no": order_no,
        "classification": classification,
        "memo": memo,
        "ours": None,
        "center": {"medfee_sumamt": 1100, "fund_pay_sumamt": 700, "acct_pay": 300,
                   "cash_payamt": 100},
    }  # fmt: skip


def day_detail(body: Body, *items: Body) -> Body:
    """4009: the day's differing settlements."""
    result = "UNBALANCED" if items else "BALANCED"
    return {"date": body["date"], "result": result, "count": len(items), "items": list(items)}
